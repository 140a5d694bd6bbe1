package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink/internal/pgtest"
)

// machine describes the computer the benchmarks ran on.
type machine struct {
	cpu        string
	cpus       int
	memory     string
	os         string
	kernel     string
	goVersion  string
	postgreSQL string
}

// describeMachine reads the machine's description from /proc and
// /etc/os-release, and the versions of the go command and of the test
// PostgreSQL server. A part it cannot find is "unknown", with
// the reason.
func describeMachine(ctx context.Context) machine {
	m := machine{cpu: "unknown", memory: "unknown", os: "unknown", kernel: "unknown"}

	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			key, value, ok := strings.Cut(scanner.Text(), ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(key) {
			case "processor":
				m.cpus++
			case "model name":
				m.cpu = strings.TrimSpace(value)
			}
		}
		f.Close()
	}

	if f, err := os.Open("/proc/meminfo"); err == nil {
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			fields := strings.Fields(scanner.Text())
			if len(fields) >= 2 && fields[0] == "MemTotal:" {
				if kib, err := strconv.ParseFloat(fields[1], 64); err == nil {
					m.memory = fmt.Sprintf("%.1f GiB", kib/(1<<20))
				}
			}
		}
		f.Close()
	}

	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.Lines(string(data)) {
			if value, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				m.os = strings.Trim(value, `"`)
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(data))
	}

	m.goVersion = goVersion(ctx)
	m.postgreSQL = postgresVersion(ctx)
	return m
}

// goVersion returns the version of the go command that ran the benchmarks.
func goVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Sprintf("unknown (go env GOVERSION failed: %v)", err)
	}
	return strings.TrimSpace(string(out))
}

// postgresVersion returns the version of the server that the PostgreSQL
// benchmarks create their databases on.
func postgresVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		// The URL may hold a password, so it is not shown.
		return "unknown (the server that FIELDLINK_TEST_POSTGRES names, 127.0.0.1:5432 by default, was not reachable when the report was written)"
	}
	defer conn.Close(ctx)

	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return fmt.Sprintf("unknown (SHOW server_version failed: %v)", err)
	}
	return "PostgreSQL " + version + " on this machine, reached over loopback"
}
