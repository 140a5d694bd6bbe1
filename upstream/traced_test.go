package upstream_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// slowBodyServer writes half of its body, waits 30 ms, then writes the
// rest.
func slowBodyServer(t *testing.T) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[`))
		w.(http.Flusher).Flush()
		time.Sleep(30 * time.Millisecond)
		w.Write([]byte(`{"id":"1"}]}`))
	}))
	t.Cleanup(server.Close)
	return server
}

func checkTimingsNonNegative(t *testing.T, timings fieldlink.RequestTimings) {
	t.Helper()
	if timings.SendingMS < 0 || timings.WaitingMS < 0 || timings.ReadingMS < 0 {
		t.Errorf("timings = %+v, want none negative", timings)
	}
}

func TestDoTracedTimesSlowBody(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	ds := s.datasource()
	ds.BaseURL = slowBodyServer(t).URL

	resp, timings, err := s.client.DoTraced(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/items"})
	if err != nil {
		t.Fatalf("DoTraced: %v", err)
	}
	if got, want := string(resp.Body), `{"value":[{"id":"1"}]}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	checkTimingsNonNegative(t, timings)
	if timings.ReadingMS <= 0 {
		t.Errorf("ReadingMS = %d, want more than zero for a body sent in two parts", timings.ReadingMS)
	}
}

func TestDoTracedDoesNotRetry(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.ThrottleNext(1, "0")

	resp, timings, err := s.client.DoTraced(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("DoTraced: %v", err)
	}
	if resp.Status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want the 429 returned as it is", resp.Status)
	}
	if got := s.graph.Requests(); got != 1 {
		t.Errorf("Graph received %d requests, want 1", got)
	}
	checkTimingsNonNegative(t, timings)
}

func TestDoTracedRefusedConnection(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	ds := s.datasource()
	ds.BaseURL = "http://" + addr

	_, timings, err := s.client.DoTraced(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/items"})
	if err == nil {
		t.Fatal("DoTraced succeeded, want the connection error")
	}
	checkTimingsNonNegative(t, timings)
	if timings.WaitingMS != 0 || timings.ReadingMS != 0 {
		t.Errorf("timings = %+v, want waiting and reading zero when no request was written", timings)
	}
	if waits := s.clock.recordedWaits(); len(waits) != 0 {
		t.Errorf("waits = %v, want none", waits)
	}
}

func TestDoTracedRefusesOtherHost(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("other host received %s %s", r.Method, r.URL)
	}))
	t.Cleanup(other.Close)

	_, _, err := s.client.DoTraced(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: other.URL + "/v1.0/users"})
	if err == nil {
		t.Fatal("DoTraced followed a link to another host")
	}
}
