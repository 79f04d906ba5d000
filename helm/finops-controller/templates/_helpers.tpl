{{/* Names and labels shared by every object of the chart. */}}

{{- define "finops-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart>, or the release name when it already holds the chart name. */}}
{{- define "finops-controller.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "finops-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "finops-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "finops-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "finops-controller.labels" -}}
helm.sh/chart: {{ include "finops-controller.chart" . }}
{{ include "finops-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: finops-controller
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "finops-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "finops-controller.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "finops-controller.claimName" -}}
{{- default (printf "%s-state" (include "finops-controller.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* The plural of every CRD shipped in crds/, for RBAC: one source of truth. */}}
{{- define "finops-controller.crdPlurals" -}}
{{- $plurals := list -}}
{{- range $path, $_ := .Files.Glob "crds/*.yaml" -}}
{{- $crd := $.Files.Get $path | fromYaml -}}
{{- $plurals = append $plurals $crd.spec.names.plural -}}
{{- end -}}
{{- toYaml (sortAlpha $plurals) -}}
{{- end -}}
