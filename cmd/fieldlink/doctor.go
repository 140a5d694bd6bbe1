package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fieldlink/fieldlink/httpapi"
)

// doctorReport is the problems fieldlink doctor found, grouped by kind.
type doctorReport struct {
	expiring  []expiringSecret
	unhealthy []httpapi.DatasourceBody
	warnings  []datasourceWarning
}

// expiringSecret is a secret or certificate that expired or expires within
// the window, with the datasource that holds it.
type expiringSecret struct {
	datasource httpapi.DatasourceBody
	expiry     httpapi.ExpiryBody
}

// datasourceWarning is one warning the API reports for a datasource.
type datasourceWarning struct {
	datasource httpapi.DatasourceBody
	message    string
}

func (r doctorReport) problems() int {
	return len(r.expiring) + len(r.unhealthy) + len(r.warnings)
}

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("doctor", "Lists the secrets and certificates of all datasources that expire soon or have expired, the unhealthy\ndatasources with their last error, and every warning. Exits with status 1 when it finds a problem.", stderr)
	api := addAPIFlags(fs)
	within := fs.String("within", "30d", "report secrets and certificates that expire within this `duration`: days such as 30d, or a Go duration such as 72h")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	window, err := parseWithin(*within)
	if err != nil {
		return usageErrorf(stderr, "%v", err)
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	all, err := client.ListDatasources(ctx)
	if err != nil {
		return api.explain(err)
	}

	now := time.Now()
	report := examine(all, now, window)
	if report.problems() == 0 {
		fmt.Fprintln(stdout, "no problems found")
		return nil
	}
	writeDoctorReport(stdout, report, now)
	return fmt.Errorf("%s found", plural(report.problems(), "problem"))
}

// parseWithin reads the --within value: whole days written as "30d", or
// any Go duration such as "72h".
func parseWithin(value string) (time.Duration, error) {
	invalid := fmt.Errorf("--within %q is invalid: use days such as 30d, or a Go duration such as 72h", value)

	if days, ok := strings.CutSuffix(value, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, invalid
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}

	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		return 0, invalid
	}
	return d, nil
}

// examine collects the problems of the datasources at now: secrets and
// certificates that have expired or expire before now+window, unhealthy
// datasources and warnings.
func examine(all []httpapi.DatasourceBody, now time.Time, window time.Duration) doctorReport {
	var report doctorReport
	deadline := now.Add(window)
	for _, ds := range all {
		for _, e := range ds.Expiry {
			if e.Status == "expired" || !e.ExpiresAt.After(deadline) {
				report.expiring = append(report.expiring, expiringSecret{datasource: ds, expiry: e})
			}
		}
		// NOTE: a "failing" datasource (its last request failed, but no
		// configuration error was recorded) is not reported as a problem.
		if ds.Health != nil && ds.Health.Status == "unhealthy" {
			report.unhealthy = append(report.unhealthy, ds)
		}
		for _, w := range ds.Warnings {
			report.warnings = append(report.warnings, datasourceWarning{datasource: ds, message: w})
		}
	}
	return report
}

// writeDoctorReport writes one section for each kind of problem found, each
// with the step that fixes it.
func writeDoctorReport(w io.Writer, report doctorReport, now time.Time) {
	var sections []func()

	if len(report.expiring) > 0 {
		sections = append(sections, func() {
			fmt.Fprintln(w, "Secrets and certificates that expire soon or have expired:")
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, s := range report.expiring {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", datasourceLabel(s.datasource), s.expiry.Secret, s.expiry.ExpiresAt.UTC().Format(time.DateOnly), daysLeft(s.expiry.ExpiresAt, now))
			}
			tw.Flush()
			fmt.Fprintln(w, "  Create a new secret or certificate at the provider, then run \"fieldlink datasource update ID -f FILE\".")
		})
	}

	if len(report.unhealthy) > 0 {
		sections = append(sections, func() {
			fmt.Fprintln(w, "Unhealthy datasources (requests stop until the configuration changes):")
			for _, ds := range report.unhealthy {
				lastError := ds.Health.LastError
				if lastError == "" {
					lastError = "no error recorded"
				}
				fmt.Fprintf(w, "  %s: %s (at %s)\n", datasourceLabel(ds), lastError, formatTime(ds.Health.LastErrorAt))
			}
			fmt.Fprintln(w, "  Fix the setting the error names, then run \"fieldlink datasource test ID\".")
		})
	}

	if len(report.warnings) > 0 {
		sections = append(sections, func() {
			fmt.Fprintln(w, "Warnings:")
			for _, warning := range report.warnings {
				fmt.Fprintf(w, "  %s: %s\n", datasourceLabel(warning.datasource), warning.message)
			}
		})
	}

	for i, write := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		write()
	}
}

// datasourceLabel names a datasource for a person: its name and its ID.
func datasourceLabel(ds httpapi.DatasourceBody) string {
	return fmt.Sprintf("%s (%s)", ds.Name, ds.ID)
}
