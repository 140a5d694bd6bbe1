package fuzzrun

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFuzzFunctionsFollowsTestingRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x_test.go")
	source := `package x

import (
	tt "testing"
)

type fixture struct{}

func FuzzGood(f *tt.F)                  {}
func Fuzz(f *tt.F)                      {}
func FuzzÉcole(f *tt.F)                 {}
func Fuzzy(f *tt.F)                     {}
func FuzzTwoParams(f *tt.F, n int)      {}
func FuzzOfT(t *tt.T)                   {}
func FuzzNotPointer(f tt.F)             {}
func (fixture) FuzzMethod(f *tt.F)      {}
func TestNotFuzz(t *tt.T)               {}
`
	if err := os.WriteFile(path, []byte(source), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := fuzzFunctions(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"FuzzGood", "Fuzz", "FuzzÉcole"}); diff != "" {
		t.Errorf("fuzz functions (-got +want):\n%s", diff)
	}
}

func TestFindTargetsSkipsOtherFiles(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                         "module example.com/m\n",
		"a/a_test.go":                    "package a\nimport \"testing\"\nfunc FuzzA(f *testing.F) {}\n",
		"a/helper.go":                    "package a\nimport \"testing\"\nfunc FuzzNotATest(f *testing.F) {}\n",
		"a/testdata/t_test.go":           "package t\nimport \"testing\"\nfunc FuzzTestdata(f *testing.F) {}\n",
		"nested/go.mod":                  "module example.com/nested\n",
		"nested/n_test.go":               "package n\nimport \"testing\"\nfunc FuzzNested(f *testing.F) {}\n",
		"ignored/i_test.go":              "//go:build ignore\n\npackage i\nimport \"testing\"\nfunc FuzzIgnored(f *testing.F) {}\n",
		".hidden/h_test.go":              "package h\nimport \"testing\"\nfunc FuzzHidden(f *testing.F) {}\n",
		"_skipped/s_test.go":             "package s\nimport \"testing\"\nfunc FuzzSkipped(f *testing.F) {}\n",
		"b/c/c_test.go":                  "package c_test\nimport \"testing\"\nfunc FuzzC(f *testing.F) {}\n",
		"other_test.go":                  "package m\nimport \"testing\"\nfunc FuzzRoot(f *testing.F) {}\n",
		"vendor/example.com/v/v_test.go": "package v\nimport \"testing\"\nfunc FuzzVendor(f *testing.F) {}\n",
	}
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	got := findTargets(t, root)
	want := []target{{".", "FuzzRoot"}, {"a", "FuzzA"}, {"b/c", "FuzzC"}}
	if diff := cmp.Diff(got, want, cmp.AllowUnexported(target{})); diff != "" {
		t.Errorf("targets (-got +want):\n%s", diff)
	}
}

func TestFindTargetsCoversModule(t *testing.T) {
	targets := findTargets(t, moduleRoot(t))

	for _, want := range []target{
		{".", "FuzzDatasourceValidate"},
		{"config", "FuzzImportDocument"},
		{"credential", "FuzzValidateAuthJSON"},
		{"internal/apifuzz", "FuzzCreateDatasource"},
		{"item", "FuzzJSONPath"},
		{"jira", "FuzzParseWebhook"},
	} {
		if !slices.Contains(targets, want) {
			t.Errorf("targets %v do not contain %s in %s", targets, want.name, want.dir)
		}
	}
}
