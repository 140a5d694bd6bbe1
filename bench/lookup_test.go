package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

// lookupConcurrencies are the numbers of lookups in flight at once in
// BenchmarkLookupOverhead.
var lookupConcurrencies = []int{1, 16, 256}

// BenchmarkLookupOverhead compares an uncached item evaluation with the
// direct call a Go programmer would write for the same lookup: a token from
// golang.org/x/oauth2/clientcredentials, a GET with net/http and the field
// decoded with encoding/json. Both read one user's officeLocation from the
// Graph emulator, which checks each token. The arms take turns in batches,
// so noise on the machine hits both alike. It reports the median latency of
// each arm and their ratio, fieldlink over direct, whose target is at most
// 1.10.
func BenchmarkLookupOverhead(b *testing.B) {
	for _, delay := range lookupDelays {
		b.Run(fmt.Sprintf("delay=%dms", delay.Milliseconds()), func(b *testing.B) {
			up := startLookupUpstream(b, lookupSizes.overheadDirectory, delay)
			arms := newOverheadArms(b, up)

			for _, concurrency := range lookupConcurrencies {
				b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
					benchmarkLookupOverhead(b, arms, concurrency)
				})
			}
		})
	}
}

// overheadArms are the two ways of making the same lookup.
type overheadArms struct {
	up *lookupUpstream

	stack *lookupStack
	ds    fieldlink.Datasource
	item  fieldlink.Item

	direct *http.Client

	// next is the index of the next user to look up, so that every batch
	// names users that the batch before did not.
	next int
}

func newOverheadArms(b *testing.B, up *lookupUpstream) *overheadArms {
	b.Helper()

	stack := newLookupStack(b, 0)
	ds := stack.saveDatasource(b, lookupDatasource(up, "Microsoft Graph"))
	// CacheSeconds 0 turns the result cache off, so every evaluation sends
	// a request. The token is cached in both arms.
	it := stack.saveItem(b, lookupItem("Reporter office", ds.ID, 0))

	// The direct arm gets a transport of its own with the settings of
	// http.DefaultTransport, so the arms share no connections. Like
	// fieldlink's, it keeps up to 100 idle connections per host instead of
	// 2, so that both reuse connections under concurrency and the figures
	// compare the work per lookup, not the connections opened.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 100
	config := clientcredentials.Config{
		ClientID:     lookupClientID,
		ClientSecret: lookupClientSecret,
		TokenURL:     up.tokenURL,
		Scopes:       []string{lookupGraphScope},
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	base := &http.Client{Transport: transport}
	direct := config.Client(context.WithValue(context.Background(), oauth2.HTTPClient, base))

	return &overheadArms{up: up, stack: stack, ds: ds, item: it, direct: direct}
}

// fieldlink evaluates the item for user.
func (a *overheadArms) fieldlink(ctx context.Context, user graph.User) error {
	result, err := a.stack.engine.Evaluate(ctx, a.item, a.ds, lookupReporterContext(user))
	if err != nil {
		return err
	}
	return lookupCheckOffice(result, user)
}

// directUser is the part of a Graph user that the direct arm decodes.
type directUser struct {
	OfficeLocation *string `json:"officeLocation"`
}

// directLookup makes the lookup the way a Go programmer would without
// fieldlink.
func (a *overheadArms) directLookup(ctx context.Context, user graph.User) error {
	target := a.up.graphURL + "/users/" + url.PathEscape(user.UserPrincipalName) + "?$select=officeLocation"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := a.direct.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", target, resp.StatusCode)
	}
	var got directUser
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return fmt.Errorf("decode %s: %w", target, err)
	}
	if got.OfficeLocation == nil || *got.OfficeLocation != user.OfficeLocation {
		return fmt.Errorf("GET %s returned office %v, want %q", target, got.OfficeLocation, user.OfficeLocation)
	}
	return nil
}

// lookupArm makes one lookup for a user.
type lookupArm func(ctx context.Context, user graph.User) error

// benchmarkLookupOverhead runs the lookups of one iteration per arm in
// batches of a few lookups per worker, and alternates which arm goes first.
// An iteration makes lookupSizes.overheadSamples lookups per arm, or
// overheadSamplesPerWorker per worker when that is fewer, which keeps a
// single worker facing a 20ms delay to seconds per iteration.
func benchmarkLookupOverhead(b *testing.B, arms *overheadArms, concurrency int) {
	samples := min(lookupSizes.overheadSamples, lookupSizes.overheadSamplesPerWorker*concurrency)
	batch := max(4*concurrency, 64)
	users := arms.up.users

	// One batch per arm opens connections and fetches both tokens.
	for _, arm := range []lookupArm{arms.fieldlink, arms.directLookup} {
		if _, err := runLookupBatch(arm, users, arms.next, batch, concurrency); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}
	arms.next += batch
	tokensBefore := arms.up.idp.TokenRequests()

	var fieldlinkTimes, directTimes []time.Duration
	var fieldlinkGraphRequests int
	b.ResetTimer()
	for b.Loop() {
		for done, round := 0, 0; done < samples; round++ {
			n := min(batch, samples-done)
			order := []bool{true, false}
			if round%2 == 1 {
				order = []bool{false, true}
			}

			for _, isFieldlink := range order {
				arm := lookupArm(arms.directLookup)
				if isFieldlink {
					arm = arms.fieldlink
				}
				graphBefore := arms.up.api.Requests()
				times, err := runLookupBatch(arm, users, arms.next, n, concurrency)
				if err != nil {
					b.Fatal(err)
				}
				if isFieldlink {
					fieldlinkTimes = append(fieldlinkTimes, times...)
					fieldlinkGraphRequests += arms.up.api.Requests() - graphBefore
				} else {
					directTimes = append(directTimes, times...)
				}
			}
			arms.next += n
			done += n
		}
	}
	b.StopTimer()

	// Each uncached evaluation must send exactly one request, or the arms
	// would not be doing the same work.
	if fieldlinkGraphRequests != len(fieldlinkTimes) {
		b.Fatalf("fieldlink sent %d Graph requests for %d uncached lookups, want one each", fieldlinkGraphRequests, len(fieldlinkTimes))
	}
	if got := arms.up.idp.TokenRequests() - tokensBefore; got != 0 {
		b.Fatalf("the arms made %d token requests after the warm-up, want 0 while the tokens are valid", got)
	}

	fieldlinkMedian := lookupPercentile(fieldlinkTimes, 0.5)
	directMedian := lookupPercentile(directTimes, 0.5)
	b.ReportMetric(lookupMicroseconds(fieldlinkMedian), "fieldlink-median-us")
	b.ReportMetric(lookupMicroseconds(directMedian), "direct-median-us")
	b.ReportMetric(lookupMicroseconds(lookupPercentile(fieldlinkTimes, 0.99)), "fieldlink-p99-us")
	b.ReportMetric(lookupMicroseconds(lookupPercentile(directTimes, 0.99)), "direct-p99-us")
	b.ReportMetric(float64(fieldlinkMedian)/float64(directMedian), "ratio")
}

// runLookupBatch makes n lookups with arm, for users[first%len(users)] and
// the ones after it, with concurrency workers. It returns each lookup's
// latency, and the first error.
func runLookupBatch(arm lookupArm, users []graph.User, first, n, concurrency int) ([]time.Duration, error) {
	ctx := context.Background()
	times := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup

	for range min(concurrency, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				user := users[(first+i)%len(users)]

				start := time.Now()
				err := arm(ctx, user)
				times[i] = time.Since(start)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return times, firstErr
}

// lookupPercentile returns the p quantile (0 to 1) of times, by the
// nearest-rank method.
func lookupPercentile(times []time.Duration, p float64) time.Duration {
	if len(times) == 0 {
		return 0
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	rank := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// lookupMicroseconds returns d in microseconds.
func lookupMicroseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}
