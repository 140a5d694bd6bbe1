package fuzzrun

import (
	"context"
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// fuzzTimeVariable names the environment variable with the time each fuzz
// target runs for, such as "3s".
const fuzzTimeVariable = "FIELDLINK_FUZZ_TIME"

// maxConcurrentPackages bounds how many packages fuzz at once. Each fuzzing
// run uses one worker, so two runs keep two cores busy.
const maxConcurrentPackages = 2

// target is one fuzz test: the function name and the package directory
// relative to the module root, with slashes.
type target struct {
	dir  string
	name string
}

// TestFuzzTargetsRunBriefly runs every FuzzXxx function of the module's test
// files with the fuzzing engine, for the time in FIELDLINK_FUZZ_TIME each.
// Targets of one package run in sequence, and at most two packages at once.
// A target fails the test with the output of `go test -fuzz`, which names
// the input it wrote under testdata/fuzz. A run that passes must leave no
// new file there, and the fuzzing cache goes to a temporary directory, not
// into the module.
func TestFuzzTargetsRunBriefly(t *testing.T) {
	fuzzTime := os.Getenv(fuzzTimeVariable)
	if fuzzTime == "" {
		t.Skipf("%s is not set: set it to the time each fuzz target runs, such as %s=3s, to fuzz every target of the module", fuzzTimeVariable, fuzzTimeVariable)
	}
	if d, err := time.ParseDuration(fuzzTime); err != nil || d <= 0 {
		t.Fatalf("%s=%q is not a positive duration: set it to one such as 3s", fuzzTimeVariable, fuzzTime)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command to run the fuzz targets: %v", err)
	}

	root := moduleRoot(t)
	targets := findTargets(t, root)
	if len(targets) == 0 {
		t.Fatalf("found no fuzz targets under %s", root)
	}

	byPackage := map[string][]target{}
	for _, tg := range targets {
		byPackage[tg.dir] = append(byPackage[tg.dir], tg)
	}
	slots := make(chan struct{}, maxConcurrentPackages)

	for _, dir := range slices.Sorted(maps.Keys(byPackage)) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()

			for _, tg := range byPackage[dir] {
				t.Run(tg.name, func(t *testing.T) {
					runTarget(t, goTool, root, tg, fuzzTime)
				})
			}
		})
	}
}

// runTarget runs one fuzz target and checks that a passing run leaves no new
// file in the target's corpus directory.
func runTarget(t *testing.T, goTool, root string, tg target, fuzzTime string) {
	corpus := filepath.Join(root, filepath.FromSlash(tg.dir), "testdata", "fuzz", tg.name)
	before := listFiles(t, corpus)

	ctx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		// Stop the run before the test binary's own timeout, so the failure
		// names the target.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-10*time.Second))
		defer cancel()
	}

	pkg := "./" + tg.dir
	if tg.dir == "." {
		pkg = "."
	}
	// -fuzzminimizetime bounds the minimizing of each new input, which for
	// large seed documents would otherwise take most of a brief run. A
	// failing input is still written, only less minimized.
	// -test.fuzzcachedir after -args replaces the go command's own value,
	// the cache under GOCACHE, with a directory that is removed afterwards.
	cmd := exec.CommandContext(ctx, goTool, "test",
		"-run", "^$", "-fuzz", "^"+tg.name+"$", "-fuzztime", fuzzTime,
		"-fuzzminimizetime", "100x", "-parallel", "1",
		pkg, "-args", "-test.fuzzcachedir="+t.TempDir())
	cmd.Dir = root
	start := time.Now()
	output, err := cmd.CombinedOutput()
	t.Logf("go test -fuzz %s %s took %v", tg.name, pkg, time.Since(start).Round(100*time.Millisecond))

	added := newFiles(before, listFiles(t, corpus))
	if err != nil {
		t.Fatalf("fuzz target %s in %s failed (%v); new corpus files %q:\n%s", tg.name, pkg, err, added, output)
	}
	if len(added) > 0 {
		t.Errorf("fuzz target %s in %s passed but left new files in %s: %q", tg.name, pkg, corpus, added)
	}
}

// moduleRoot returns the directory of the go.mod above the working
// directory.
func moduleRoot(t *testing.T) string {
	t.Helper()

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// findTargets returns the fuzz targets of every package of the module
// rooted at root, sorted by directory and then by the order in their files.
// It skips testdata and vendor directories, directories whose names start
// with "." or "_", nested modules, and files that the build constraints
// leave out.
func findTargets(t *testing.T, root string) []target {
	t.Helper()

	var targets []target
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() {
			return skipDirectory(root, path, entry.Name())
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}

		dir := filepath.Dir(path)
		if match, err := build.Default.MatchFile(dir, entry.Name()); err != nil || !match {
			return err
		}
		names, err := fuzzFunctions(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		for _, name := range names {
			targets = append(targets, target{dir: filepath.ToSlash(rel), name: name})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("find fuzz targets: %v", err)
	}

	slices.SortStableFunc(targets, func(a, b target) int { return strings.Compare(a.dir, b.dir) })
	return targets
}

// skipDirectory returns fs.SkipDir for a directory that contains no package
// of the module.
func skipDirectory(root, path, name string) error {
	if path == root {
		return nil
	}
	if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return fs.SkipDir
	}
	if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
		return fs.SkipDir
	}
	return nil
}

// fuzzFunctions returns the names of the fuzz targets in a test file: the
// functions named Fuzz or FuzzXxx (Xxx not starting with a lower-case
// letter, as the testing package requires) that take one *testing.F.
func fuzzFunctions(path string) ([]string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	testingName := importName(file, "testing")
	if testingName == "" {
		return nil, nil
	}

	var names []string
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !isFuzzName(fn.Name.Name) {
			continue
		}
		params := fn.Type.Params.List
		if len(params) != 1 || len(params[0].Names) > 1 || !isPointerTo(params[0].Type, testingName, "F") {
			continue
		}
		names = append(names, fn.Name.Name)
	}
	return names, nil
}

// importName returns the name under which file imports the package at
// importPath, or "" when it does not import it by a usable name.
func importName(file *ast.File, importPath string) string {
	for _, spec := range file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil || path != importPath {
			continue
		}
		if spec.Name == nil {
			return filepath.Base(importPath)
		}
		if spec.Name.Name != "_" && spec.Name.Name != "." {
			return spec.Name.Name
		}
	}
	return ""
}

// isFuzzName reports whether name is Fuzz or FuzzXxx, where Xxx does not
// start with a lower-case letter.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// isPointerTo reports whether expr is the type *pkg.name.
func isPointerTo(expr ast.Expr, pkg, name string) bool {
	star, ok := expr.(*ast.StarExpr)
	if !ok {
		return false
	}
	selector, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	ident, ok := selector.X.(*ast.Ident)
	return ok && ident.Name == pkg && selector.Sel.Name == name
}

// listFiles returns the names of the files in dir, or none when dir does not
// exist.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()

	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("list the corpus: %v", err)
	}
	names := make([]string, 0, len(entries))
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	return names
}

// newFiles returns the names in after that are not in before.
func newFiles(before, after []string) []string {
	var added []string
	for _, name := range after {
		if !slices.Contains(before, name) {
			added = append(added, name)
		}
	}
	return added
}
