package graph_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

// rawGet sends GET path with a valid token and returns the response with
// its body as far as it could be read, and the read error.
func rawGet(t *testing.T, f fixture, path string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer reader")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestTruncateNextCutConnection(t *testing.T) {
	f := setup(t, graph.Options{})
	full := f.get(t, userPath, "reader", nil)
	f.server.TruncateNext(1, graph.CutConnection)

	resp, body, err := rawGet(t, f, userPath)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want io.ErrUnexpectedEOF", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want the usual 200", resp.StatusCode)
	}
	if want := strconv.Itoa(len(full.body)); resp.Header.Get("Content-Length") != want {
		t.Errorf("Content-Length = %q, want the full length %s", resp.Header.Get("Content-Length"), want)
	}
	if len(body) != len(full.body)/2 {
		t.Errorf("read %d bytes, want half of %d", len(body), len(full.body))
	}

	if r := f.get(t, userPath, "reader", nil); r.status != http.StatusOK || !json.Valid(r.body) {
		t.Errorf("request after the cut: status %d, body %s; want a whole 200", r.status, r.body)
	}
}

func TestTruncateNextCutJSON(t *testing.T) {
	f := setup(t, graph.Options{})
	full := f.get(t, "/v1.0/users?$top=2", "reader", nil)
	f.server.TruncateNext(1, graph.CutJSON)

	resp, body, err := rawGet(t, f, "/v1.0/users?$top=2")
	if err != nil {
		t.Fatalf("read body: %v, want a complete HTTP response", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want the usual 200", resp.StatusCode)
	}
	if resp.Header.Get("Content-Type") != wantContentType {
		t.Errorf("Content-Type = %q, want Graph's JSON type", resp.Header.Get("Content-Type"))
	}
	if len(body) != len(full.body)/2 || string(body) != string(full.body[:len(full.body)/2]) {
		t.Errorf("body = %q, want the first half of %q", body, full.body)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err == nil {
		t.Errorf("cut body parses as JSON, want it to end mid-document")
	}
}

func TestTruncateNextCutsErrorResponse(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.TruncateNext(1, graph.CutJSON)

	// Without a token the response is Graph's 401 error, and it is cut too.
	r := f.get(t, userPath, "", nil)
	if r.status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", r.status)
	}
	if json.Valid(r.body) {
		t.Errorf("body %s is whole, want it cut", r.body)
	}
}

func TestClearFaultsDropsQueue(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.ThrottleNext(3, "1")
	f.server.TruncateNext(1, graph.CutConnection)

	if dropped := f.server.ClearFaults(); dropped != 4 {
		t.Errorf("ClearFaults() = %d, want 4", dropped)
	}
	if r := f.get(t, userPath, "reader", nil); r.status != http.StatusOK {
		t.Errorf("status after ClearFaults = %d, want 200", r.status)
	}
}

func TestThrottleNextConcurrentRequests(t *testing.T) {
	const faults, requests = 10, 25
	f := setup(t, graph.Options{})
	f.server.ThrottleNext(faults, "")

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
	)
	for range requests {
		wg.Go(func() {
			resp, _, err := rawGet(t, f, userPath)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			counts[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()

	if counts[http.StatusTooManyRequests] != faults || counts[http.StatusOK] != requests-faults {
		t.Errorf("statuses %v, want %d × 429 and %d × 200", counts, faults, requests-faults)
	}
}
