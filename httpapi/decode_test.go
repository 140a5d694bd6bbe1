package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestDecodeRejectsBadTimes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"not RFC 3339", `{"name": "a", "createdAt": "2026701-01T00:06:00Z"}`, `request body has the time "2026701-01T00:06:00Z", which is not in RFC 3339 form`},
		{"not a string", `{"name": "a", "health": {"lastTestAt": 7}}`, "request body has a time that is not a JSON string"},
	}
	s := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body DatasourceBody
			err := s.decode(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/v1/datasources", strings.NewReader(tt.body)), &body)
			if err == nil {
				t.Fatal("decode succeeded, want an error")
			}
			if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
				t.Errorf("error code %q, want %q", code, fieldlink.EInvalid)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
