package deploy

import (
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, with continuation lines
// joined.
type instruction struct {
	// stage is the index of the FROM stage the instruction belongs to.
	stage int
	// command is the instruction's keyword in upper case, such as RUN.
	command string
	// args is the rest of the instruction.
	args string
}

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	instructions []instruction
	// stages is the number of FROM stages.
	stages int
}

// parseDockerfile reads the instructions of a Dockerfile. It joins lines
// that end in a backslash and skips comments, as docker build does.
func parseDockerfile(name string) (*dockerfile, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}

	df := &dockerfile{}
	var pending strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending.WriteString(rest + " ")
			continue
		}
		pending.WriteString(trimmed)
		full := strings.TrimSpace(pending.String())
		pending.Reset()
		if full == "" {
			continue
		}

		command, args, _ := strings.Cut(full, " ")
		command = strings.ToUpper(command)
		if command == "FROM" {
			df.stages++
		}
		df.instructions = append(df.instructions, instruction{stage: df.stages - 1, command: command, args: strings.TrimSpace(args)})
	}
	if pending.Len() > 0 {
		return nil, fmt.Errorf("%s ends in a line continuation", name)
	}
	return df, nil
}

// find returns the instructions with command in stage, or in every stage
// when stage is -1.
func (df *dockerfile) find(stage int, command string) []instruction {
	var found []instruction
	for _, in := range df.instructions {
		if in.command == command && (stage == -1 || in.stage == stage) {
			found = append(found, in)
		}
	}
	return found
}

// lastStage returns the index of the final stage, the image that runs.
func (df *dockerfile) lastStage() int { return df.stages - 1 }

// env returns the ENV settings of stage, in the KEY=value form.
func (df *dockerfile) env(stage int) map[string]string {
	env := map[string]string{}
	for _, in := range df.find(stage, "ENV") {
		for _, word := range shellWords(in.args) {
			if key, value, ok := strings.Cut(word, "="); ok {
				env[key] = value
			}
		}
	}
	return env
}

// goBuild is the Dockerfile's go build command.
type goBuild struct {
	// line is the RUN instruction as written.
	line string
	// env holds the NAME=value assignments before the command.
	env []string
	// args are the command's words, from "go" on, with build arguments
	// expanded.
	args []string
	// output is the value of -o as written.
	output string
}

// buildCommand returns the RUN instruction that runs go build, with the
// build arguments expanded from their ARG defaults and from overrides.
func (df *dockerfile) buildCommand(overrides map[string]string) (*goBuild, error) {
	var runs []instruction
	for _, in := range df.find(-1, "RUN") {
		if strings.Contains(in.args, "go build") {
			runs = append(runs, in)
		}
	}
	if len(runs) != 1 {
		return nil, fmt.Errorf("the Dockerfile has %d RUN instructions with go build, want 1", len(runs))
	}
	run := runs[0]
	if strings.ContainsAny(run.args, ";&|`") || strings.Contains(run.args, "$(") {
		return nil, fmt.Errorf("the go build RUN instruction %q is more than one command: keep it a single go build, so that this test runs exactly what the image runs", run.args)
	}

	buildArgs := map[string]string{}
	for _, in := range df.find(run.stage, "ARG") {
		name, value, _ := strings.Cut(in.args, "=")
		buildArgs[name] = value
	}
	for name, value := range overrides {
		buildArgs[name] = value
	}
	expand := func(word string) string {
		return os.Expand(word, func(name string) string { return buildArgs[name] })
	}

	b := &goBuild{line: run.args}
	words := shellWords(run.args)
	for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
		b.env = append(b.env, expand(words[0]))
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		return nil, fmt.Errorf("the RUN instruction %q does not start with go build after its environment", run.args)
	}
	for i, word := range words {
		b.args = append(b.args, expand(word))
		if word == "-o" && i+1 < len(words) {
			b.output = words[i+1]
		}
	}
	if b.output == "" {
		return nil, fmt.Errorf("the go build command %q has no -o OUTPUT", run.args)
	}
	return b, nil
}

// argsWithOutput returns the command's words with -o set to output.
func (b *goBuild) argsWithOutput(output string) []string {
	args := append([]string(nil), b.args...)
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			args[i+1] = output
		}
	}
	return args
}

// shellWords splits s into words as a POSIX shell does for the simple
// commands of this Dockerfile: on blanks, with single and double quotes
// removed.
func shellWords(s string) []string {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '"' || r == '\'':
			quote = r
			inWord = true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// readDockerignore returns the patterns of a .dockerignore file.
func readDockerignore(name string) ([]string, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			return nil, fmt.Errorf("%s: exception pattern %q is not supported by this test's matcher", name, line)
		}
		patterns = append(patterns, path.Clean(strings.TrimPrefix(line, "/")))
	}
	return patterns, nil
}

// dockerignored reports whether a path of the build context (slash
// separated, relative to its root) is excluded by patterns: when the path or
// one of its parent folders matches a pattern. Patterns are anchored at the
// root, and ** matches any number of folders.
func dockerignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for _, pattern := range patterns {
		patternParts := strings.Split(pattern, "/")
		for n := 1; n <= len(parts); n++ {
			if matchParts(patternParts, parts[:n]) {
				return true
			}
		}
	}
	return false
}

func matchParts(pattern, name []string) bool {
	if len(pattern) == 0 {
		return len(name) == 0
	}
	if pattern[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchParts(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pattern[0], name[0])
	return err == nil && ok && matchParts(pattern[1:], name[1:])
}

// copyContext copies the files of src that patterns do not exclude to dst,
// as docker build sends the build context.
func copyContext(src, dst string, patterns []string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		target := filepath.Join(dst, filepath.FromSlash(rel))

		switch {
		case rel == ".":
			return os.MkdirAll(target, 0o755)
		case dockerignored(patterns, rel):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func TestDockerfileBuildsStaticBinary(t *testing.T) {
	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	build, err := df.buildCommand(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !containsString(build.env, "CGO_ENABLED=0") {
		t.Errorf("the build command sets %q, want CGO_ENABLED=0 for a static binary", build.env)
	}

	binary := fieldlinkBinary(t)
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("fieldlink version: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "fieldlink "+testVersion; got != want {
		t.Errorf("fieldlink version printed %q, want %q: the VERSION build argument must reach main.version", got, want)
	}

	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("the binary names a dynamic loader (PT_INTERP), so it is not static")
		}
	}
	libraries, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libraries) > 0 {
		t.Errorf("the binary links shared libraries %q, want none", libraries)
	}
}

func TestDockerfileImage(t *testing.T) {
	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if df.stages < 2 {
		t.Fatalf("the Dockerfile has %d stages, want a build stage and a smaller runtime stage", df.stages)
	}
	final := df.lastStage()
	build, err := df.buildCommand(nil)
	if err != nil {
		t.Fatal(err)
	}

	copied := false
	for _, in := range df.find(final, "COPY") {
		if strings.HasPrefix(in.args, "--from=") && strings.Contains(in.args, " "+build.output+" ") {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the runtime stage copies no file from %s, where go build writes the binary", build.output)
	}

	users := df.find(final, "USER")
	if len(users) == 0 {
		t.Fatal("the runtime stage has no USER, so it runs as root")
	}
	user, _, _ := strings.Cut(users[len(users)-1].args, ":")
	if user == "root" || user == "0" {
		t.Errorf("USER is %s, want a non-root user", users[len(users)-1].args)
	}

	env := df.env(final)
	for name := range env {
		checkEnvName(t, "the Dockerfile's ENV", name)
	}
	if got := env["FIELDLINK_LISTEN"]; got != "0.0.0.0:8080" {
		t.Errorf("ENV FIELDLINK_LISTEN = %q, want 0.0.0.0:8080, reachable from outside the container", got)
	}
	if exposes := df.find(final, "EXPOSE"); len(exposes) != 1 || exposes[0].args != "8080" {
		t.Errorf("EXPOSE = %+v, want 8080", exposes)
	}

	data := env["FIELDLINK_DATA"]
	if data == "" {
		t.Error("the runtime stage sets no FIELDLINK_DATA")
	}
	volumes := df.find(final, "VOLUME")
	if len(volumes) != 1 || !strings.Contains(volumes[0].args, `"`+data+`"`) {
		t.Errorf("VOLUME = %+v, want the data folder %s", volumes, data)
	}

	checks := df.find(final, "HEALTHCHECK")
	if len(checks) != 1 {
		t.Fatalf("the runtime stage has %d HEALTHCHECK instructions, want 1", len(checks))
	}
	probe := regexp.MustCompile(`https?://[^\s"']+`).FindString(checks[0].args)
	u, err := url.Parse(probe)
	if err != nil || u.Path != "/healthz" || u.Port() != "8080" {
		t.Errorf("HEALTHCHECK requests %q, want /healthz on port 8080", probe)
	}

	entry := df.find(final, "ENTRYPOINT")
	cmd := df.find(final, "CMD")
	if len(entry) != 1 || len(cmd) != 1 || cmd[0].args != `["serve"]` {
		t.Errorf("ENTRYPOINT %+v and CMD %+v, want the binary with CMD [\"serve\"]", entry, cmd)
	}
}

func TestDockerignore(t *testing.T) {
	patterns, err := readDockerignore(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}

	for _, rel := range []string{".git/config", "fieldlink", "master.key", "fieldlink.db", "docs/deploy.md", "httpapi/testdata/automation_jira_format.json"} {
		if !dockerignored(patterns, rel) {
			t.Errorf(".dockerignore sends %s to the build, want it left out", rel)
		}
	}
	for _, rel := range []string{"go.mod", "go.sum", "cmd/fieldlink/main.go", "webui/assets", "store/migrations/postgres/0001_schema.sql"} {
		if dockerignored(patterns, rel) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", rel)
		}
	}
}

func TestProbePathsAnswer(t *testing.T) {
	srv := startServe(t)

	paths := map[string]string{"/healthz": "the Dockerfile's HEALTHCHECK"}
	for _, probe := range deploymentProbes(t) {
		paths[probe.path] = probe.name
	}
	for p, where := range paths {
		resp, err := http.Get(srv.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s (%s) = %d on a healthy server, want 200", p, where, resp.StatusCode)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDeployFilesNameExistingFiles(t *testing.T) {
	// Comments that point to a test or manifest must point to a file that
	// exists, or a reader looks for it in vain.
	named := regexp.MustCompile(`\bdeploy/[A-Za-z0-9_./-]+\.(?:go|yaml|service|example)\b`)
	sources := []string{filepath.Join(repoRoot, "Dockerfile"), unitPath, envFilePath}
	manifests, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sources = append(sources, manifests...)

	for _, source := range sources {
		raw, err := os.ReadFile(source)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range named.FindAllString(string(raw), -1) {
			if _, err := os.Stat(filepath.Join(repoRoot, path)); err != nil {
				t.Errorf("%s names %s, which does not exist", source, path)
			}
		}
	}
}
