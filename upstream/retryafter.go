package upstream

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRetryAfter returns the wait that a Retry-After header value
// specifies, relative to now, and reports whether value contains one. RFC 9110 §10.2.3
// allows whole seconds or an HTTP-date. Decimal seconds, such as "2.128", are
// accepted too, because some APIs send them (Microsoft Graph's throttling
// guide has shown one in its sample response). A date in the past asks for
// no wait. A negative, empty or unreadable value returns false, so the caller
// falls back to its own backoff.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}

	if isDecimalSeconds(value) {
		seconds, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, false
		}
		return secondsToDuration(seconds), true
	}

	// http.ParseTime reads the three date formats of RFC 9110 §5.6.7.
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// isDecimalSeconds reports whether value is digits with at most one decimal
// point between digits, such as "120" or "2.128". It rejects the signs,
// exponents, "Inf" and "NaN" that strconv.ParseFloat would accept.
func isDecimalSeconds(value string) bool {
	whole, fraction, hasPoint := strings.Cut(value, ".")
	if !allDigits(whole) {
		return false
	}
	return !hasPoint || allDigits(fraction)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// secondsToDuration converts seconds to a Duration, saturating at the
// largest Duration instead of overflowing.
func secondsToDuration(seconds float64) time.Duration {
	if seconds >= float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(seconds * float64(time.Second))
}
