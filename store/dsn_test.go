package store

import (
	"context"
	"strings"
	"testing"
)

func TestIsPostgresURLForms(t *testing.T) {
	for _, tt := range []struct {
		database string
		want     bool
	}{
		{"postgres://u:p@127.0.0.1/db", true},
		{"postgresql://127.0.0.1/db", true},
		{"POSTGRES://127.0.0.1/db", true},
		{"  postgres://127.0.0.1/db", true},
		{"host=127.0.0.1 user=u dbname=db", true},
		{"dbname=db", true},
		{"/var/lib/fieldlink/fieldlink.db", false},
		{"fieldlink.db", false},
		{"postgress://127.0.0.1/db", false},
		{"data/host=x.db", false},
	} {
		if got := IsPostgresURL(tt.database); got != tt.want {
			t.Errorf("IsPostgresURL(%q) = %v, want %v", tt.database, got, tt.want)
		}
	}
}

func TestRedactDatabaseHidesEveryPasswordForm(t *testing.T) {
	const password = "S3cret-marker-pw"
	for _, database := range []string{
		"postgres://role:" + password + "@127.0.0.1:5432/db",
		"postgres://role@127.0.0.1:5432/db?password=" + password,
		"postgres://role@127.0.0.1:5432/db?sslmode=disable&PASSWORD=" + password,
		"host=127.0.0.1 user=role password=" + password + " dbname=db",
		"host=127.0.0.1 password = '" + password + "' dbname=db",
	} {
		got := RedactDatabase(database)
		if strings.Contains(got, password) {
			t.Errorf("RedactDatabase(%q) = %q, still holds the password", database, got)
		}
		if !strings.Contains(got, "127.0.0.1") {
			t.Errorf("RedactDatabase(%q) = %q, lost the host", database, got)
		}
	}

	if got := RedactDatabase("/srv/fieldlink.db"); got != "/srv/fieldlink.db" {
		t.Errorf("RedactDatabase(path) = %q, want the path unchanged", got)
	}
}

func TestOpenRejectsUnknownSchemeWithoutPassword(t *testing.T) {
	const password = "S3cret-marker-pw"
	_, err := Open(context.Background(), "postgress://role:"+password+"@127.0.0.1:5432/db", testSealer(t), nil)
	if err == nil {
		t.Fatal("Open accepted the scheme postgress")
	}
	if !strings.Contains(err.Error(), `scheme "postgress" is not supported`) {
		t.Errorf("error = %v, want it to name the scheme", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error = %v, holds the password", err)
	}
}

func TestOpenReportsUnparsableURLWithoutPassword(t *testing.T) {
	const password = "p@ss#word-marker"
	_, err := Open(context.Background(), "postgres://role:"+password+"@127.0.0.1:5432/db", testSealer(t), nil)
	if err == nil {
		t.Fatal("Open accepted a URL with an unescaped @ and # in the password")
	}
	for _, part := range []string{"ss#word-marker", "word-marker"} {
		if strings.Contains(err.Error(), part) {
			t.Errorf("error = %v, holds part of the password %q", err, part)
		}
	}
	if !strings.Contains(err.Error(), "percent-encode") || !strings.Contains(err.Error(), "%40") {
		t.Errorf("error = %v, want the hint to percent-encode", err)
	}
}

func TestOpenRejectsFolderAsSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), dir, testSealer(t), nil)
	if err == nil {
		t.Fatal("Open accepted a folder as the SQLite file")
	}
	if !strings.Contains(err.Error(), "it is a folder") {
		t.Errorf("error = %v, want it to say the path is a folder", err)
	}
}
