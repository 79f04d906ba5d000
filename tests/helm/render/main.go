// render - `helm template` for one chart without Helm: Go's text/template
// with Debian's sprig, and Helm's own semantics for what a chart sees.
//
// Built in GOPATH mode from Debian packages only (golang-go,
// golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev); no network.
//
//	render [--name R] [--namespace NS] [--include-crds] [-f values.yaml]... CHART
//
// What follows Helm (pkg/engine, pkg/chartutil):
//   - .Values: values.yaml deep-merged with every -f file in order (maps
//     merge, everything else replaces, null deletes the key);
//   - .Release {Name, Namespace, Service "Helm", IsInstall, IsUpgrade,
//     Revision}, .Chart from Chart.yaml with Helm's capitalised keys
//     (APIVersion, AppVersion, Name, Version, ...), .Capabilities
//     {KubeVersion, APIVersions.Has}, .Template {Name, BasePath}, .Files
//     {Get, Glob} over every chart file outside templates/;
//   - functions: sprig's text functions without env/expandenv, plus include,
//     tpl, required, toYaml, fromYaml, fromYamlArray, toJson, fromJson,
//     lookup (empty: no cluster);
//   - every templates/ file not starting with "_" (and not NOTES.txt) is
//     rendered, missing keys render as "" (missingkey=zero, "<no value>"
//     removed), whitespace-only output is dropped, and each document is
//     printed after "---" and "# Source: <chart>/templates/<file>".
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// Files is .Files: chart files by slash path.
type Files map[string][]byte

func (f Files) Get(name string) string { return string(f[name]) }

func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

// APIVersions is .Capabilities.APIVersions.
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// normalize turns yaml.v3's decoded values into what Helm's values hold
// (map[string]interface{} all the way down).
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return normalize(m).(map[string]interface{}), nil
}

// merge is Helm's coalescing of a user values file over the defaults.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = merge(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

func toYAML(v interface{}) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	enc.Close()
	return strings.TrimSuffix(b.String(), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
		return m
	}
	return normalize(m).(map[string]interface{})
}

func fromYAMLArray(s string) []interface{} {
	var a []interface{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		return []interface{}{err.Error()}
	}
	return normalize(a).([]interface{})
}

// chartMeta maps Chart.yaml keys onto the field names of Helm's
// chart.Metadata, which is what templates see.
func chartMeta(m map[string]interface{}) map[string]interface{} {
	special := map[string]string{"apiVersion": "APIVersion", "appVersion": "AppVersion",
		"kubeVersion": "KubeVersion"}
	out := map[string]interface{}{}
	for k, v := range m {
		if s, ok := special[k]; ok {
			out[s] = v
		} else if k != "" {
			out[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	return out
}

type renderer struct {
	root     *template.Template
	chart    string
	values   map[string]interface{}
	top      map[string]interface{}
	includes int
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = func(v interface{}) string { b, _ := json.Marshal(v); return string(b) }
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["lookup"] = func(string, string, string, string) map[string]interface{} {
		return map[string]interface{}{}
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		r.includes++
		defer func() { r.includes-- }()
		if r.includes > 1000 {
			return "", fmt.Errorf("include %q: rendering too deep", name)
		}
		var b bytes.Buffer
		if err := r.root.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := r.root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
	return f
}

func run() error {
	var files valueFiles
	name := flag.String("name", "release-name", "release name")
	ns := flag.String("namespace", "default", "release namespace")
	crds := flag.Bool("include-crds", false, "print crds/ first")
	flag.Var(&files, "f", "values file (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: render [--name R] [--namespace NS] [--include-crds] [-f values.yaml]... CHART")
	}
	dir := flag.Arg(0)

	chartYAML, err := readYAMLMap(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAMLMap(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		user, err := readYAMLMap(f)
		if err != nil {
			return err
		}
		values = merge(values, user)
	}
	chartName, _ := chartYAML["name"].(string)

	all := Files{}
	var templates []string
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "templates/") {
			templates = append(templates, rel)
			return nil
		}
		data, err := os.ReadFile(p)
		all[rel] = data
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(templates)

	r := &renderer{chart: chartName, values: values}
	r.root = template.New("chart").Option("missingkey=zero")
	r.root.Funcs(r.funcs())
	for _, rel := range templates {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		if _, err := r.root.New(chartName + "/" + rel).Parse(string(data)); err != nil {
			return err
		}
	}

	type manifest struct{ source, body string }
	var manifests []manifest
	var out bytes.Buffer
	if *crds {
		var names []string
		for n := range all.Glob("crds/*.yaml") {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&out, "---\n# Source: %s/%s\n%s", chartName, n,
				strings.TrimSuffix(string(all[n]), "\n")+"\n")
		}
	}
	for _, rel := range templates {
		base := path.Base(rel)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		tname := chartName + "/" + rel
		top := map[string]interface{}{
			"Values": values,
			"Release": map[string]interface{}{
				"Name": *name, "Namespace": *ns, "Service": "Helm",
				"IsInstall": true, "IsUpgrade": false, "Revision": 1,
			},
			"Chart": chartMeta(chartYAML),
			"Capabilities": map[string]interface{}{
				"KubeVersion": map[string]interface{}{"Version": "v1.29.0",
					"Major": "1", "Minor": "29", "GitVersion": "v1.29.0"},
				"APIVersions": APIVersions{"v1", "apps/v1",
					"rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1",
					"apiextensions.k8s.io/v1"},
			},
			"Template": map[string]interface{}{"Name": tname,
				"BasePath": chartName + "/templates"},
			"Files": all,
		}
		var b bytes.Buffer
		if err := r.root.ExecuteTemplate(&b, tname, top); err != nil {
			return err
		}
		text := strings.ReplaceAll(b.String(), "<no value>", "")
		// A template may hold several documents; each gets its Source.
		for _, doc := range strings.Split(text, "\n---") {
			doc = strings.TrimPrefix(doc, "---")
			if strings.TrimSpace(doc) == "" {
				continue
			}
			manifests = append(manifests, manifest{tname, strings.Trim(doc, "\n")})
		}
	}
	// Helm prints manifests in its install order (kind, then as rendered).
	sort.SliceStable(manifests, func(i, j int) bool {
		return installRank(manifests[i].body) < installRank(manifests[j].body)
	})
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

// Helm's releaseutil.InstallOrder.
var installOrder = []string{"PriorityClass", "Namespace", "NetworkPolicy",
	"ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
	"ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
	"RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
	"ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
	"CronJob", "IngressClass", "Ingress", "APIService"}

var kindRe = regexp.MustCompile(`(?m)^kind:\s*(\S+)`)

func installRank(body string) int {
	if m := kindRe.FindStringSubmatch(body); m != nil {
		for i, k := range installOrder {
			if k == m[1] {
				return i
			}
		}
	}
	return len(installOrder)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
