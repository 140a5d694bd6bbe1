package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/httpapi"
)

// naiveWorkers is the number of tickets each arm of
// BenchmarkNaiveScriptVersusFieldlink handles at once. Both arms get the
// same number, so their times compare.
const naiveWorkers = 4

// BenchmarkNaiveScriptVersusFieldlink handles the same tickets twice. The
// naive script fetches a token and then calls Graph for every ticket.
// fieldlink evaluates an item that caches its results for the default cache
// time, with a cached token. It counts the requests each arm makes at the
// emulators and reports how many times fewer fieldlink makes, whose target
// is at least 5.
func BenchmarkNaiveScriptVersusFieldlink(b *testing.B) {
	for _, delay := range lookupDelays {
		b.Run(fmt.Sprintf("delay=%dms", delay.Milliseconds()), func(b *testing.B) {
			benchmarkNaiveScript(b, delay)
		})
	}
}

func benchmarkNaiveScript(b *testing.B, delay time.Duration) {
	up := startLookupUpstream(b, lookupSizes.reporters, delay)
	tickets := naiveTickets(up.users, lookupSizes.tickets)
	script := newNaiveScript(up)

	var naive, fieldlink naiveCounts
	var naiveTime, fieldlinkTime time.Duration
	b.ResetTimer()
	for range b.N {
		// Every round starts fieldlink cold: no token and no cached result.
		b.StopTimer()
		stack := newLookupStack(b, 0)
		ds := stack.saveDatasource(b, lookupDatasource(up, "Microsoft Graph"))
		it := stack.saveItem(b, lookupItem("Reporter office", ds.ID, httpapi.DefaultCacheSeconds))
		evaluate := func(ctx context.Context, user graph.User) error {
			result, err := stack.engine.Evaluate(ctx, it, ds, lookupReporterContext(user))
			if err != nil {
				return err
			}
			return lookupCheckOffice(result, user)
		}
		b.StartTimer()

		counts, elapsed, err := runNaiveArm(up, tickets, script.lookup)
		if err != nil {
			b.Fatalf("naive script: %v", err)
		}
		naive.add(counts)
		naiveTime += elapsed

		counts, elapsed, err = runNaiveArm(up, tickets, evaluate)
		if err != nil {
			b.Fatalf("fieldlink: %v", err)
		}
		fieldlink.add(counts)
		fieldlinkTime += elapsed
	}
	b.StopTimer()

	// The script sends a token request and a Graph request per ticket. Any
	// other count means it did not do the work it stands for.
	if want := b.N * len(tickets); naive.token != want || naive.graph != want {
		b.Fatalf("naive script made %d token and %d Graph requests for %d tickets, want one of each per ticket", naive.token, naive.graph, want)
	}
	if fieldlink.total() == 0 {
		b.Fatal("fieldlink made no upstream request, so the emulators are not counting")
	}

	rounds := float64(b.N)
	b.ReportMetric(float64(naive.total())/rounds, "naive-upstream-requests")
	b.ReportMetric(float64(fieldlink.total())/rounds, "fieldlink-upstream-requests")
	b.ReportMetric(float64(naive.token)/rounds, "naive-token-requests")
	b.ReportMetric(float64(fieldlink.token)/rounds, "fieldlink-token-requests")
	b.ReportMetric(float64(naive.graph)/rounds, "naive-graph-requests")
	b.ReportMetric(float64(fieldlink.graph)/rounds, "fieldlink-graph-requests")
	b.ReportMetric(float64(naive.total())/float64(fieldlink.total()), "reduction-x")
	b.ReportMetric(float64(naiveTime.Milliseconds())/rounds, "naive-total-ms")
	b.ReportMetric(float64(fieldlinkTime.Milliseconds())/rounds, "fieldlink-total-ms")
}

// naiveTickets returns the reporter of each of n tickets, drawn from users
// by a generator with a fixed seed, so every run files the same tickets.
func naiveTickets(users []graph.User, n int) []graph.User {
	r := rand.New(rand.NewPCG(2024, 11))
	tickets := make([]graph.User, n)
	for i := range tickets {
		tickets[i] = users[r.IntN(len(users))]
	}
	return tickets
}

// naiveCounts are the requests that reached the emulators.
type naiveCounts struct {
	token int
	graph int
}

func (c *naiveCounts) add(o naiveCounts) {
	c.token += o.token
	c.graph += o.graph
}

func (c naiveCounts) total() int {
	return c.token + c.graph
}

// runNaiveArm looks up the reporter of every ticket with naiveWorkers
// workers, and returns the requests the emulators received meanwhile and
// the time it took.
func runNaiveArm(up *lookupUpstream, tickets []graph.User, lookup lookupArm) (naiveCounts, time.Duration, error) {
	ctx := context.Background()
	tokensBefore, graphBefore := up.idp.TokenRequests(), up.api.Requests()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup

	start := time.Now()
	for range naiveWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tickets) {
					return
				}
				if err := lookup(ctx, tickets[i]); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	counts := naiveCounts{token: up.idp.TokenRequests() - tokensBefore, graph: up.api.Requests() - graphBefore}
	return counts, elapsed, firstErr
}

// naiveScript is what a script without fieldlink does per ticket: request a
// token with the client credentials grant, then call Graph with it.
type naiveScript struct {
	up     *lookupUpstream
	client *http.Client
}

func newNaiveScript(up *lookupUpstream) *naiveScript {
	return &naiveScript{up: up, client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

// lookup fetches a new token and reads user's office with it.
func (s *naiveScript) lookup(ctx context.Context, user graph.User) error {
	token, err := s.token(ctx)
	if err != nil {
		return err
	}

	target := s.up.graphURL + "/users/" + url.PathEscape(user.UserPrincipalName) + "?$select=officeLocation"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var got directUser
	if err := s.do(req, &got); err != nil {
		return err
	}

	if got.OfficeLocation == nil || *got.OfficeLocation != user.OfficeLocation {
		return fmt.Errorf("GET %s returned office %v, want %q", target, got.OfficeLocation, user.OfficeLocation)
	}
	return nil
}

// token requests an access token from the token endpoint.
func (s *naiveScript) token(ctx context.Context) (string, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {lookupClientID},
		"client_secret": {lookupClientSecret},
		"scope":         {lookupGraphScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.up.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	var got struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.do(req, &got); err != nil {
		return "", err
	}
	if got.AccessToken == "" {
		return "", fmt.Errorf("token response from %s has no access_token", s.up.tokenURL)
	}
	return got.AccessToken, nil
}

// do sends req and decodes a 200 response's JSON body into v.
func (s *naiveScript) do(req *http.Request, v any) error {
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", req.Method, req.URL.Redacted(), resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}
