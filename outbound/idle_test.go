package outbound_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// TestForKeepsConnectionsOfABurst sends two bursts of requests at once to
// one host. The second burst must reuse the connections of the first, which
// needs more idle connections per host than net/http's default of 2.
func TestForKeepsConnectionsOfABurst(t *testing.T) {
	const burst = 12
	var newConns atomic.Int32
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every request of a burst waits for the others, so each needs a
		// connection of its own.
		arrived.Done()
		arrived.Wait()
		fmt.Fprint(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	client, err := outbound.New(outbound.Options{}).For(fieldlink.Datasource{ID: "ds-1", AllowLoopback: true})
	if err != nil {
		t.Fatalf("For: %v", err)
	}

	for round := range 2 {
		arrived.Add(burst)
		errs := make(chan error, burst)
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				resp, err := client.Get(srv.URL)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: GET: %v", round+1, err)
			}
		}
	}

	if got := newConns.Load(); got != burst {
		t.Errorf("server saw %d connections for two bursts of %d requests, want %d reused by the second burst", got, burst, burst)
	}
}
