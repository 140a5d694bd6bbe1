package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository root, the Docker build context.
const repoRoot = ".."

// testVersion is the VERSION build argument the tests build with.
const testVersion = "0.0.0-deploy-test"

var (
	buildOnce   sync.Once
	buildDir    string
	builtBinary string
	buildErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// fieldlinkBinary returns the fieldlink binary built once per test run by
// the Dockerfile's build command, in a copy of the build context that leaves
// out what .dockerignore excludes.
func fieldlinkBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "fieldlink-deploy-test-")
		if buildErr == nil {
			builtBinary, buildErr = buildAsDockerfile(buildDir)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBinary
}

// buildAsDockerfile copies the build context into dir/context and runs the
// Dockerfile's build command there, writing the binary into dir.
func buildAsDockerfile(dir string) (string, error) {
	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return "", err
	}
	build, err := df.buildCommand(map[string]string{"VERSION": testVersion})
	if err != nil {
		return "", err
	}

	patterns, err := readDockerignore(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		return "", err
	}
	contextDir := filepath.Join(dir, "context")
	if err := copyContext(repoRoot, contextDir, patterns); err != nil {
		return "", err
	}

	binary := filepath.Join(dir, "fieldlink")
	args := build.argsWithOutput(binary)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = contextDir
	cmd.Env = append(os.Environ(), build.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("the Dockerfile's build command %q failed in a copy of the build context: %v\n%s", build.line, err, out)
	}
	return binary, nil
}

// cleanEnv returns this process's environment without FIELDLINK_ variables,
// plus extra, so that a test's server gets only the settings the test gives.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FIELDLINK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

var (
	helpOnce sync.Once
	helpText string
	helpErr  error
)

// serveHelp returns the output of "fieldlink serve --help".
func serveHelp(t *testing.T) string {
	t.Helper()
	binary := fieldlinkBinary(t)
	helpOnce.Do(func() {
		cmd := exec.Command(binary, "serve", "--help")
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		helpText = string(out)
		if err != nil {
			helpErr = fmt.Errorf("fieldlink serve --help: %v\n%s", err, out)
		}
	})
	if helpErr != nil {
		t.Fatal(helpErr)
	}
	return helpText
}

var (
	helpFlagPattern = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	envNamePattern  = regexp.MustCompile(`FIELDLINK_[A-Z0-9_]+`)
)

// serveOptions returns the flag names and environment variable names that
// "fieldlink serve --help" documents.
func serveOptions(t *testing.T) (flags, env map[string]bool) {
	t.Helper()
	help := serveHelp(t)
	flags, env = map[string]bool{}, map[string]bool{}
	for _, m := range helpFlagPattern.FindAllStringSubmatch(help, -1) {
		flags[m[1]] = true
	}
	for _, name := range envNamePattern.FindAllString(help, -1) {
		env[name] = true
	}
	if len(flags) == 0 || len(env) == 0 {
		t.Fatalf("found no flags or no environment variables in fieldlink serve --help:\n%s", help)
	}
	return flags, env
}

// checkServeArgs reports every flag in args that fieldlink serve does not
// have. args are the words after "serve".
func checkServeArgs(t *testing.T, where string, args []string) {
	t.Helper()
	flags, _ := serveOptions(t)
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !flags[name] {
			t.Errorf("%s passes %s, which fieldlink serve --help does not list", where, arg)
		}
	}
}

// checkEnvName reports an environment variable that fieldlink serve does not
// read.
func checkEnvName(t *testing.T, where, name string) {
	t.Helper()
	_, env := serveOptions(t)
	if strings.HasPrefix(name, "FIELDLINK_") && !env[name] {
		t.Errorf("%s sets %s, which fieldlink serve --help does not list", where, name)
	}
}

// runningServer is a fieldlink serve process on loopback.
type runningServer struct {
	url string
	cmd *exec.Cmd
}

// startServe runs "fieldlink serve" on loopback on a new SQLite data folder
// and waits until it prints its address. The process is stopped when t
// ends.
func startServe(t *testing.T) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, fieldlinkBinary(t), "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	cmd.Env = cleanEnv("FIELDLINK_ADMIN_TOKEN=deploy-test-admin-token-0123456789")
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() {
			cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})

	urls := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if rest, ok := strings.CutPrefix(scanner.Text(), "fieldlink is serving on "); ok {
				urls <- strings.TrimSpace(rest)
			}
		}
	}()
	select {
	case url := <-urls:
		return &runningServer{url: url, cmd: cmd}
	case <-time.After(60 * time.Second):
		t.Fatal("fieldlink serve did not print \"fieldlink is serving on\" within 60 seconds")
	}
	return nil
}
