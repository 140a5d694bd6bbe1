package httpapi

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fieldlink/fieldlink/auth"
)

// Defaults of Options.IntakeLimiter. Past the limit, a request without a
// signature or token is answered 429 before its body is read or its hook
// looked up. A blocked sender waits at most a minute, well within the period
// over which Jira Cloud retries a 429.
const (
	defaultIntakeFailures = 20
	defaultIntakeWindow   = time.Minute
)

// intakeGuard limits failed webhook deliveries and logs their rejections.
//
// Failures are counted per client address and hook, not per address alone,
// because Jira Cloud sends every site's webhooks from Atlassian's shared
// addresses. A flood or a stale webhook aimed at one hook then does not
// throttle requests from those addresses to other hooks. Unknown hook IDs share one count per address, so guessing IDs is limited
// too.
//
// A request past the limit that carries a signature or an automation token
// is still checked, so correctly signed deliveries are never throttled:
// Jira stops retrying a delivery after its retry period, and Jira Automation
// does not retry at all. Only requests without credentials, and those to
// unknown hooks, are answered 429 without reading the body.
type intakeGuard struct {
	limiter *auth.Limiter
	log     *slog.Logger
	now     func() time.Time

	mu sync.Mutex
	// warned maps a client address and a kind of log line to when that
	// line was last logged at Warn.
	warned map[string]time.Time
}

func newIntakeGuard(limiter *auth.Limiter, now func() time.Time, logger *slog.Logger) *intakeGuard {
	if limiter == nil {
		limiter = &auth.Limiter{MaxFailures: defaultIntakeFailures, Window: defaultIntakeWindow, Now: now}
	}
	return &intakeGuard{limiter: limiter, log: logger, now: now, warned: map[string]time.Time{}}
}

// hookKey returns the limiter key of deliveries from ip to a hook's own URL,
// or to the bare /hooks/jira URL when hookID is empty.
func hookKey(ip, hookID string) string {
	if hookID == "" {
		return "ip:" + ip + " any hook"
	}
	return "ip:" + ip + " hook:" + hookID
}

// unknownHookKey returns the limiter key of deliveries from ip to hook IDs
// that do not exist.
func unknownHookKey(ip string) string {
	return "ip:" + ip + " unknown hooks"
}

// fail records a failed delivery under key and logs why it was rejected:
// at Warn for the first rejection from the client's address in a window,
// at Debug for the rest, so a flood does not flood the log.
func (g *intakeGuard) fail(r *http.Request, key, reason string, attrs ...any) {
	g.limiter.Fail(key)
	ip := clientIP(r)
	g.log.Log(r.Context(), g.level(ip, "rejected"), "webhook rejected: "+reason, append(attrs, "clientIP", ip)...)
}

// rejectPastLimit records a failed delivery to hookID and, when the client
// was past the limit before it, responds 429 and returns true. Otherwise the
// caller responds 401.
func (g *intakeGuard) rejectPastLimit(w http.ResponseWriter, r *http.Request, hookID, reason string, attrs ...any) bool {
	key := hookKey(clientIP(r), hookID)
	pastLimit := g.limiter.RetryAfter(key) > 0
	g.fail(r, key, reason, append([]any{"hook", hookID}, attrs...)...)
	if !pastLimit {
		return false
	}

	g.throttle(w, r, hookID, g.limiter.RetryAfter(key))
	return true
}

// carriesCredential reports whether a delivery carries a webhook signature
// or an automation token, which the intake checks even past the limit.
func carriesCredential(r *http.Request) bool {
	return r.Header.Get("X-Hub-Signature") != "" || len(r.Header.Values(AutomationTokenHeader)) > 0
}

// throttle responds 429 with Retry-After to a client past the limit and
// logs it at Warn once per address and window.
func (g *intakeGuard) throttle(w http.ResponseWriter, r *http.Request, hookID string, wait time.Duration) {
	ip := clientIP(r)
	g.log.Log(r.Context(), g.level(ip, "throttled"),
		"webhook throttled: too many failed deliveries from this address", "hook", hookID, "clientIP", ip, "retryAfter", wait.Round(time.Second))

	seconds := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: ErrorDetail{Code: "rate_limited",
		Message: "too many failed webhook deliveries from this address: try again in " + strconv.Itoa(seconds) +
			"s, and check that the Jira webhook uses the hook's URL and current secret"}})
}

// level returns slog.LevelWarn when no line of the kind was logged at Warn
// for ip within the limiter's window, and slog.LevelDebug otherwise.
func (g *intakeGuard) level(ip, kind string) slog.Level {
	window := g.limiter.CountingWindow()
	now := g.now()
	key := kind + " " + ip

	g.mu.Lock()
	defer g.mu.Unlock()
	if last, ok := g.warned[key]; ok && now.Sub(last) < window {
		return slog.LevelDebug
	}

	// Drop addresses whose last warning has aged out, so the map does not
	// grow with every address that ever failed once.
	if len(g.warned) > 10000 {
		for k, last := range g.warned {
			if now.Sub(last) >= window {
				delete(g.warned, k)
			}
		}
	}
	g.warned[key] = now
	return slog.LevelWarn
}
