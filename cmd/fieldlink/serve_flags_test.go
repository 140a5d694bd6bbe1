package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestServeRejectsBadNumbers(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"workers not a number", []string{"--workers", "many"}, `--workers (env FIELDLINK_WORKERS) is "many"`},
		{"workers negative", []string{"--workers", "-2"}, `--workers (env FIELDLINK_WORKERS) is "-2"`},
		{"workers too many", []string{"--workers", "5000"}, "from 1 to 1000"},
		{"job timeout typo", []string{"--job-timeout", "1mn"}, `--job-timeout (env FIELDLINK_JOB_TIMEOUT) is "1mn"`},
		{"job timeout too short", []string{"--job-timeout", "1ms"}, "at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, tt.args...)

			err := run(context.Background(), args, &stdout, &stderr)
			if err == nil {
				t.Fatal("serve accepted the flag")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
