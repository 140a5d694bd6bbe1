package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unitFile is a systemd unit: each section's settings, in file order, as
// "Key=value" lines may repeat.
type unitFile map[string][]unitSetting

type unitSetting struct {
	key, value string
}

// parseUnit reads a systemd unit file, skipping comments.
func parseUnit(t *testing.T, name string) unitFile {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	unit := unitFile{}
	section := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: line %q is not Key=value", name, line)
			}
			unit[section] = append(unit[section], unitSetting{strings.TrimSpace(key), strings.TrimSpace(value)})
		}
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return unit
}

// get returns the last value of key in section, as systemd keeps the last
// of a single-valued setting.
func (u unitFile) get(section, key string) string {
	value := ""
	for _, s := range u[section] {
		if s.key == key {
			value = s.value
		}
	}
	return value
}

var (
	unitPath    = filepath.Join("systemd", "fieldlink.service")
	envFilePath = filepath.Join("systemd", "fieldlink.env.example")
)

func TestSystemdUnit(t *testing.T) {
	unit := parseUnit(t, unitPath)

	execStart := strings.Fields(unit.get("Service", "ExecStart"))
	if len(execStart) < 2 || execStart[1] != "serve" {
		t.Fatalf("ExecStart = %q, want the binary and serve", execStart)
	}
	checkServeArgs(t, "ExecStart", execStart[2:])

	data := ""
	for i, arg := range execStart {
		if arg == "--data" && i+1 < len(execStart) {
			data = execStart[i+1]
		}
	}
	if data == "" {
		t.Errorf("ExecStart gives no --data, so the data folder would be the service user's home")
	}
	if got := unit.get("Service", "ReadWritePaths"); !containsString(strings.Fields(got), data) {
		t.Errorf("ReadWritePaths = %q, want the data folder %s", got, data)
	}
	if state := unit.get("Service", "StateDirectory"); state != "" && "/var/lib/"+state != data {
		t.Errorf("StateDirectory=%s creates /var/lib/%s, but --data is %s", state, state, data)
	}

	for key, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes"} {
		if got := unit.get("Service", key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	user := unit.get("Service", "User")
	if unit.get("Service", "DynamicUser") != "yes" && (user == "" || user == "root" || user == "0") {
		t.Errorf("User = %q and no DynamicUser, want the service to run as a user other than root", user)
	}
	if unit.get("Service", "EnvironmentFile") == "" {
		t.Errorf("the unit reads no EnvironmentFile, where the secrets belong")
	}
}

func TestSystemdEnvironmentFile(t *testing.T) {
	raw, err := os.ReadFile(envFilePath)
	if err != nil {
		t.Fatal(err)
	}

	// Commented settings are examples too, so their names are checked.
	setting := regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=`)
	names := 0
	for _, line := range strings.Split(string(raw), "\n") {
		m := setting.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		names++
		if !strings.HasPrefix(m[1], "FIELDLINK_") {
			t.Errorf("%s sets %s, which fieldlink does not read", envFilePath, m[1])
		}
		checkEnvName(t, envFilePath, m[1])
	}
	if names == 0 {
		t.Fatalf("%s sets no variable", envFilePath)
	}
}

func TestPlaceholdersStopStartup(t *testing.T) {
	binary := fieldlinkBinary(t)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"admin token", []string{"FIELDLINK_ADMIN_TOKEN=CHANGE-ME"}, "FIELDLINK_ADMIN_TOKEN"},
		{"master key", []string{"FIELDLINK_ADMIN_TOKEN=deploy-test-admin-token-0123456789", "FIELDLINK_MASTER_KEY=CHANGE-ME"}, "FIELDLINK_MASTER_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
			cmd.Env = cleanEnv(tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("fieldlink serve started with %s=CHANGE-ME, want it to exit with an error", tt.want)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("the error does not name %s:\n%s", tt.want, out)
			}
		})
	}
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}

	// verify checks that the binary and the environment file exist, so
	// point the unit at the built binary and at the example file.
	raw, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	envFile, err := filepath.Abs(envFilePath)
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(raw), "/usr/local/bin/fieldlink", fieldlinkBinary(t))
	unit = regexp.MustCompile(`(?m)^EnvironmentFile=.*$`).ReplaceAllString(unit, "EnvironmentFile="+envFile)
	copyPath := filepath.Join(t.TempDir(), "fieldlink.service")
	if err := os.WriteFile(copyPath, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
