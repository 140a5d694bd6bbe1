package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

// Output formats of the -o flag.
const (
	outputText = "text"
	outputJSON = "json"
)

// addOutputFlag adds -o, which chooses between text for people and the
// API's JSON for scripts.
func addOutputFlag(fs *flag.FlagSet) *string {
	return fs.String("o", outputText, "output `format`: text or json")
}

// checkOutput rejects an -o value other than text or json.
func checkOutput(format string) error {
	if format != outputText && format != outputJSON {
		return fmt.Errorf("-o %q is invalid: use text or json", format)
	}
	return nil
}

// writeJSON writes v as indented JSON, as the API sends it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeDatasourceTable writes one line per datasource with its health and
// the secret or certificate that expires first.
func writeDatasourceTable(w io.Writer, all []httpapi.DatasourceBody, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tAUTH\tBASE URL\tHEALTH\tEXPIRY")
	for _, ds := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ds.ID, ds.Name, ds.Auth.Mode, ds.BaseURL, healthStatus(ds.Health), firstExpiry(ds.Expiry, now))
	}
	return tw.Flush()
}

// healthStatus returns the health status, or "-" when the server reports none.
func healthStatus(h *httpapi.HealthBody) string {
	if h == nil || h.Status == "" {
		return "-"
	}
	return h.Status
}

// firstExpiry describes the secret or certificate that expires first, for
// example "2026-07-01 (12 days)", or "-" when no expiry is known.
func firstExpiry(expiry []httpapi.ExpiryBody, now time.Time) string {
	if len(expiry) == 0 {
		return "-"
	}
	first := slices.MinFunc(expiry, func(a, b httpapi.ExpiryBody) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return fmt.Sprintf("%s (%s)", first.ExpiresAt.UTC().Format(time.DateOnly), daysLeft(first.ExpiresAt, now))
}

// daysLeft describes the time from now to expiresAt in whole days, such as
// "12 days", "less than a day" or "expired 3 days ago".
func daysLeft(expiresAt, now time.Time) string {
	left := expiresAt.Sub(now)
	days := int(left.Abs() / (24 * time.Hour))
	switch {
	case left <= 0 && days == 0:
		return "expired today"
	case left <= 0:
		return "expired " + plural(days, "day") + " ago"
	case days == 0:
		return "less than a day"
	}
	return plural(days, "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// formatTime returns t in UTC to the minute, or "-" for nil or zero.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// writeDatasource writes a datasource for a person at now: its settings, with
// secrets only as "set", then its health, expiry list and warnings.
func writeDatasource(w io.Writer, ds httpapi.DatasourceBody, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", name, value)
		}
	}

	row("ID", ds.ID)
	row("Name", ds.Name)
	row("Base URL", ds.BaseURL)
	row("API documentation", ds.APIDocumentationURL)
	row("Test path", ds.TestPath)
	for _, name := range slices.Sorted(maps.Keys(ds.Headers)) {
		row("Header "+name, ds.Headers[name])
	}
	row("Timeout", seconds(ds.TimeoutSeconds, fieldlink.DefaultTimeout))
	row("Connect timeout", seconds(ds.ConnectTimeoutSeconds, fieldlink.DefaultConnectTimeout))
	row("CA bundle", setOrEmpty(ds.CABundle != ""))
	row("Allow loopback", yesOrEmpty(ds.AllowLoopback))
	row("Allow private networks", yesOrEmpty(ds.AllowPrivateNetworks))
	writeAuthRows(row, ds.Auth)
	row("Created", formatTime(ds.CreatedAt))
	row("Updated", formatTime(ds.UpdatedAt))
	if err := tw.Flush(); err != nil {
		return err
	}

	writeHealth(w, ds.Health)
	writeExpiry(w, ds.Expiry, now)
	writeWarnings(w, ds.Warnings)
	return nil
}

// writeAuthRows writes the authentication settings through row. The API
// never returns a secret, so secrets appear only as "set".
func writeAuthRows(row func(name, value string), a httpapi.AuthBody) {
	row("Auth", string(a.Mode))
	row("  Username", a.Username)
	row("  Password", setOrEmpty(a.PasswordSet))
	row("  Token", setOrEmpty(a.TokenSet))
	row("  API key name", a.APIKeyName)
	row("  API key value", setOrEmpty(a.APIKeyValueSet))
	row("  API key in", a.APIKeyIn)
	row("  Token URL", a.TokenURL)
	row("  Client ID", a.ClientID)
	row("  Client secret", setOrEmpty(a.ClientSecretSet))
	row("  Client authentication", a.ClientAuthentication)
	row("  Scopes", strings.Join(a.Scopes, " "))
	for _, name := range slices.Sorted(maps.Keys(a.TokenParams)) {
		row("  Token parameter "+name, a.TokenParams[name])
	}
	row("  Client certificate", setOrEmpty(a.ClientCertificate != ""))
	row("  Client private key", setOrEmpty(a.ClientPrivateKeySet))
	row("  Send x5t", yesOrEmpty(a.SendX5T))
	row("  TLS client certificate", setOrEmpty(a.TLSClientCertificate != ""))
	row("  TLS client key", setOrEmpty(a.TLSClientKeySet))
	row("  Secret expires at", a.SecretExpiresAt)
}

func writeHealth(w io.Writer, h *httpapi.HealthBody) {
	if h == nil {
		return
	}
	fmt.Fprintf(w, "\nHealth: %s\n", healthStatus(h))
	fmt.Fprintf(w, "  last test:     %s\n", formatTime(h.LastTestAt))
	fmt.Fprintf(w, "  last success:  %s\n", formatTime(h.LastSuccessAt))
	if h.LastError != "" {
		fmt.Fprintf(w, "  last error:    %s at %s\n", h.LastError, formatTime(h.LastErrorAt))
	}
}

func writeExpiry(w io.Writer, expiry []httpapi.ExpiryBody, now time.Time) {
	if len(expiry) == 0 {
		return
	}
	fmt.Fprintln(w, "\nExpiry:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range expiry {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.Secret, e.ExpiresAt.UTC().Format(time.DateOnly), daysLeft(e.ExpiresAt, now), e.Status)
	}
	tw.Flush()
}

func writeWarnings(w io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWarnings:")
	for _, warning := range warnings {
		fmt.Fprintf(w, "  - %s\n", warning)
	}
}

// writeTestResult writes each step of Test connection with its mark,
// duration, message and hint, then the warnings and the token's details.
func writeTestResult(w io.Writer, result fieldlink.TestResult) {
	fmt.Fprintf(w, "Status: %s\n", result.Status)
	for _, step := range result.Steps {
		mark := "ok  "
		if !step.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-8s %6d ms  %s\n", mark, step.Name, step.DurationMS, step.Message)
		if step.Hint != "" {
			fmt.Fprintf(w, "       hint: %s\n", step.Hint)
		}
	}
	writeWarnings(w, result.Warnings)

	if result.Token == nil {
		return
	}
	t := result.Token
	fmt.Fprintln(w, "\nToken:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "  %s:\t%s\n", name, value)
		}
	}
	row("Type", t.Type)
	row("Expires at", formatTime(&t.ExpiresAt))
	row("Audience", strings.Join(t.Audience, " "))
	row("Roles", strings.Join(t.Roles, " "))
	row("Scopes", strings.Join(t.Scopes, " "))
	row("App ID", t.AppID)
	row("Tenant ID", t.TenantID)
	tw.Flush()
}

// seconds describes a timeout field, naming the default when it is zero.
func seconds(value int, def time.Duration) string {
	if value <= 0 {
		return fmt.Sprintf("%s (default)", def)
	}
	return (time.Duration(value) * time.Second).String()
}

func setOrEmpty(set bool) string {
	if set {
		return "set"
	}
	return ""
}

func yesOrEmpty(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
