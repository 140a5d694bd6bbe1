package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
)

// clusterImportScript returns the shell script that the guide's import
// command runs in a replica: the single-quoted argument of "sh -c".
func clusterImportScript(t *testing.T) string {
	t.Helper()

	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", "")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "tar -c fieldlink.json transport.key | kubectl exec -i deploy/fieldlink -- sh -c") {
			continue
		}
		start, end := strings.Index(line, "'"), strings.LastIndex(line, "'")
		if start < 0 || end <= start {
			t.Fatalf("docs/deploy.md: the import command has no single-quoted script: %q", line)
		}
		return line[start+1 : end]
	}
	t.Fatal("docs/deploy.md has no import command that pipes tar into kubectl exec")
	return ""
}

// runBinary runs the fieldlink binary with env and fails the test when it
// fails.
func runBinary(t *testing.T, env []string, args ...string) string {
	t.Helper()

	cmd := exec.Command(fieldlinkBinary(t), args...)
	cmd.Env = cleanEnv(env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fieldlink %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestClusterImportScript(t *testing.T) {
	script := clusterImportScript(t)
	binary := fieldlinkBinary(t)

	// An installation with one admin, exported as the migration guide does,
	// into a folder that holds the two files the command sends.
	source := t.TempDir()
	sourceEnv := []string{seal.EnvVar + "="}
	runBinary(t, sourceEnv, "migrate", "--data", source)
	if err := seal.WriteKeyFile(filepath.Join(source, "master.key"), [][]byte{seal.GenerateKey()}); err != nil {
		t.Fatal(err)
	}
	create := exec.Command(binary, "admin", "create", "--username", "ana", "--data", source)
	create.Env = cleanEnv(sourceEnv...)
	create.Stdin = strings.NewReader("correct horse battery staple\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	upload := t.TempDir()
	runBinary(t, sourceEnv, "export", "--data", source, "-o", filepath.Join(upload, "fieldlink.json"), "--transport-key-file", filepath.Join(upload, "transport.key"))

	// A replica's environment: the image's data folder and the Secret.
	dataDir := t.TempDir()
	database := pgtest.NewDatabase(t)
	masterKey := seal.EncodeKey(seal.GenerateKey())
	replicaEnv := []string{"FIELDLINK_DATA=" + dataDir, "FIELDLINK_DATABASE=" + database, seal.EnvVar + "=" + masterKey, "PATH=" + filepath.Dir(binary) + ":" + os.Getenv("PATH")}

	script = strings.ReplaceAll(script, "/var/lib/fieldlink", dataDir)
	tarCmd := exec.Command("tar", "-c", "fieldlink.json", "transport.key")
	tarCmd.Dir = upload
	shell := exec.Command("sh", "-c", script)
	shell.Env = cleanEnv(replicaEnv...)
	var err error
	if shell.Stdin, err = tarCmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := tarCmd.Start(); err != nil {
		t.Fatal(err)
	}
	out, err := shell.CombinedOutput()
	if waitErr := tarCmd.Wait(); waitErr != nil {
		t.Fatalf("tar: %v", waitErr)
	}
	if err != nil {
		t.Fatalf("the guide's import script failed: %v\n%s", err, out)
	}
	for _, want := range []string{"(PostgreSQL)", "Imported 0 datasources, 0 items, 0 rules, 0 hooks, 1 admins and 0 API tokens."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the import output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "import")); !os.IsNotExist(err) {
		t.Errorf("the script left %s behind (stat: %v)", filepath.Join(dataDir, "import"), err)
	}

	listed := runBinary(t, replicaEnv, "admin", "list")
	if !strings.Contains(listed, "\nana\t") {
		t.Errorf("admin list on the replica's database = %q, want ana", listed)
	}
}
