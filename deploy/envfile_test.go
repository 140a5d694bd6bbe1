package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
)

// environmentGenerator is systemd's environment.d generator. It reads a
// file with the env-file parser of systemd's src/basic/env-file.c, which
// EnvironmentFile= uses too, and expands $VARIABLES on top.
const environmentGenerator = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"

// uncommentSettings returns the example environment file with every
// commented FIELDLINK_ setting turned on.
func uncommentSettings(t *testing.T) string {
	t.Helper()

	raw, err := os.ReadFile(envFilePath)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(?m)^#(FIELDLINK_[A-Z0-9_]+=)`).ReplaceAllString(string(raw), "$1")
}

// fileSettings returns the FIELDLINK_ settings of an environment file as
// written, without the single quotes around a value.
func fileSettings(text string) map[string]string {
	settings := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "FIELDLINK_") {
			continue
		}
		if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' {
			value = value[1 : len(value)-1]
		}
		settings[name] = value
	}
	return settings
}

// outputSettings returns the FIELDLINK_ variables of NAME=value lines, with
// the double quotes that systemd's generator puts around some values
// removed.
func outputSettings(out string) map[string]string {
	settings := map[string]string{}
	scanner := bufio.NewScanner(strings.NewReader(out))
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), "=")
		if !ok || !strings.HasPrefix(name, "FIELDLINK_") {
			continue
		}
		settings[name] = strings.TrimSuffix(strings.TrimPrefix(value, `"`), `"`)
	}
	return settings
}

func TestEnvironmentFileReadsAlikeInShell(t *testing.T) {
	text := uncommentSettings(t)
	path := filepath.Join(t.TempDir(), "fieldlink.env")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	want := fileSettings(text)
	if !strings.ContainsAny(want["FIELDLINK_DATABASE"], "&?") {
		t.Fatalf("FIELDLINK_DATABASE = %q, want an example URL with a query of several parameters", want["FIELDLINK_DATABASE"])
	}

	cmd := exec.Command("sh", "-c", `set -a; . "$1"; env`, "sh", path)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh could not load %s: %v\n%s", envFilePath, err, out)
	}
	got := outputSettings(string(out))
	for name, value := range want {
		if got[name] != value {
			t.Errorf("sh reads %s as %q, want %q as written", name, got[name], value)
		}
	}

	if _, err := os.Stat(environmentGenerator); err != nil {
		t.Skipf("systemd's environment.d generator is not installed (%v), so only sh was checked", err)
	}
	config := t.TempDir()
	if err := os.MkdirAll(filepath.Join(config, "environment.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "environment.d", "50-fieldlink.conf"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	generator := exec.Command(environmentGenerator)
	generator.Env = []string{"XDG_CONFIG_HOME=" + config, "XDG_CONFIG_DIRS=" + filepath.Join(config, "none"), "XDG_DATA_DIRS=" + filepath.Join(config, "none")}
	out, err = generator.Output()
	if err != nil {
		t.Fatalf("%s: %v", environmentGenerator, err)
	}
	systemd := outputSettings(string(out))
	for name, value := range want {
		if systemd[name] != value {
			t.Errorf("systemd reads %s as %q, want %q as sh reads it", name, systemd[name], value)
		}
	}
}

// deployGuideCommand returns the command of docs/deploy.md that contains
// marker, from the first word after "sudo".
func deployGuideCommand(t *testing.T, marker string) string {
	t.Helper()

	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, marker) {
			continue
		}
		_, command, ok := strings.Cut(line, "| sudo ")
		if !ok {
			t.Fatalf("docs/deploy.md line %q does not pipe into sudo", line)
		}
		return command
	}
	t.Fatalf("docs/deploy.md has no line with %q", marker)
	return ""
}

func TestAdminCreateLoadsEnvironmentFile(t *testing.T) {
	command := deployGuideCommand(t, "exec runuser -u fieldlink")
	if os.Geteuid() != 0 {
		t.Skip("runuser changes the user only for root")
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("runuser is not installed")
	}
	current, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}

	// The example file, with the PostgreSQL URL single-quoted as the
	// example has it, and an "&" in its query.
	database := pgtest.NewDatabase(t) + "&pool_max_conns=2"
	masterKey := seal.EncodeKey(seal.GenerateKey())
	text := uncommentSettings(t)
	text = regexp.MustCompile(`(?m)^FIELDLINK_DATABASE=.*$`).ReplaceAllString(text, "FIELDLINK_DATABASE='"+database+"'")
	text = regexp.MustCompile(`(?m)^FIELDLINK_MASTER_KEY=.*$`).ReplaceAllString(text, "FIELDLINK_MASTER_KEY="+masterKey)
	text = regexp.MustCompile(`(?m)^FIELDLINK_ADMIN_TOKEN=.*$`).ReplaceAllString(text, "FIELDLINK_ADMIN_TOKEN=deploy-test-admin-token-0123456789")
	envFile := filepath.Join(t.TempDir(), "fieldlink.env")
	if err := os.WriteFile(envFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	binary := fieldlinkBinary(t)
	migrate := exec.Command(binary, "migrate")
	migrate.Env = cleanEnv("FIELDLINK_DATABASE=" + database)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	// The guide's command, with this test's files and user.
	dataDir := t.TempDir()
	command = strings.NewReplacer(
		"/etc/fieldlink/fieldlink.env", envFile,
		"runuser -u fieldlink", "runuser -u "+current.Username,
		"-- fieldlink ", "-- "+binary+" ",
		"/var/lib/fieldlink", dataDir,
	).Replace(command)
	run := exec.Command("sh", "-c", command)
	run.Env = cleanEnv()
	run.Stdin = strings.NewReader("correct horse battery staple\n")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("the guide's admin create command failed: %v\n%s\n%s", err, command, out)
	}
	if !strings.Contains(string(out), "(PostgreSQL)") {
		t.Errorf("admin create did not use the PostgreSQL database of the environment file:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "fieldlink.db")); err == nil {
		t.Errorf("admin create wrote an SQLite file into %s", dataDir)
	}

	list := exec.Command(binary, "admin", "list", "--data", t.TempDir(), "--database", database)
	list.Env = cleanEnv(seal.EnvVar + "=" + masterKey)
	listed, err := list.Output()
	if err != nil || !strings.HasPrefix(string(listed), "ana\t") {
		t.Errorf("admin list on PostgreSQL: error %v, output %q; want ana", err, listed)
	}
}
