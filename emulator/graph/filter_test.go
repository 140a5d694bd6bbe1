package graph

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// matchNames returns the display names of the sample users f matches.
func matchNames(f filter) []string {
	var names []string
	for _, u := range SampleDirectory() {
		if f.match(u) {
			names = append(names, u.DisplayName)
		}
	}
	return names
}

func TestParseFilterMatches(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
	}{
		{"mail eq 'sean.o''brien@fabrikam.example'", []string{"Seán O'Brien"}},
		{"surname eq 'O''Brien'", []string{"Seán O'Brien"}},
		{"mail eq 'PRIYA.NAIR+HELPDESK@fabrikam.example'", []string{"Priya Nair"}},
		{"userPrincipalName eq 'lena.fischer_partner.example#EXT#@fabrikam.example'", []string{"Lena Fischer (Partner)"}},
		{"id eq 'A1AE18B0-9E5F-4AD7-B616-D5402ECB213B'", []string{"Nurul Hassan"}},
		{"officeLocation eq 'Paris'", []string{"Amélie Laurent", "Julien Moreau", "Camille Dubois", "Lena Fischer (Partner)"}},
		{"startswith(displayName,'s')", []string{"Seán O'Brien", "Sofia Rodriguez"}},
		{"startswith( givenName , 'WEI' )", []string{"Wei Ling Tan"}},
		{"officeLocation eq 'London' and department eq 'IT'", []string{"Priya Nair"}},
		{"officeLocation eq 'Singapore' or jobTitle eq 'Sales Director'", []string{"Marcus Johnson", "Wei Ling Tan", "Arjun Mehta", "Nurul Hassan"}},
		// "and" binds tighter than "or".
		{"department eq 'Legal' or officeLocation eq 'Paris' and department eq 'IT'", []string{"Amélie Laurent", "Seán O'Brien"}},
		{"(department eq 'Legal' or officeLocation eq 'Paris') and department eq 'IT'", []string{"Amélie Laurent"}},
		{"(officeLocation eq 'Paris' OR officeLocation eq 'London') AND userType eq 'Guest'", []string{"Lena Fischer (Partner)"}},
		{"otherMails/any(x:x eq 'marcus.johnson@personal.example')", []string{"Marcus Johnson"}},
		{"otherMails/any(m: m eq 'LENA.FISCHER@partner.example')", []string{"Lena Fischer (Partner)"}},
		{"accountEnabled eq false", []string{"Grace Whitfield"}},
		{"officeLocation eq ''", nil},
		{"city eq 'New York' and accountEnabled eq true and startswith(mail,'d')", []string{"David Kim"}},
		{"country eq 'germany'", []string{"Lena Fischer (Partner)"}},
		{"usageLocation eq 'SG' and jobTitle eq 'Network Administrator'", []string{"Nurul Hassan"}},
	}

	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := parseFilter(tt.filter)
			if err != nil {
				t.Fatalf("parseFilter: %s: %s", err.code, err.message)
			}
			if diff := cmp.Diff(tt.want, matchNames(f)); diff != "" {
				t.Errorf("matched users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		filter      string
		wantCode    string
		wantMessage string
	}{
		{"mail ne 'x'", "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'mail' of resource 'User'."},
		{"displayName gt 'a'", "Request_UnsupportedQuery", "property 'displayName'"},
		{"endswith(mail,'@fabrikam.example')", "Request_UnsupportedQuery", "Unsupported query filter clause 'endswith'."},
		{"contains(displayName,'a')", "Request_UnsupportedQuery", "'contains'"},
		{"not(mail eq 'x')", "Request_UnsupportedQuery", "'not'"},
		{"favoriteColor eq 'blue'", "BadRequest", "Could not find a property named 'favoriteColor' on type 'microsoft.graph.user'."},
		{"companyName eq 'Fabrikam'", "Request_UnsupportedQuery", "property 'companyName'"},
		{"businessPhones/any(x:x eq '+1 212 555 0101')", "Request_UnsupportedQuery", "property 'businessPhones'"},
		{"otherMails eq 'a@b.example'", "Request_UnsupportedQuery", "property 'otherMails'"},
		{"otherMails/all(x:x eq 'a@b.example')", "Request_UnsupportedQuery", "property 'otherMails'"},
		{"accountEnabled eq 'true'", "Request_UnsupportedQuery", "property 'accountEnabled'"},
		{"mail eq null", "Request_UnsupportedQuery", "property 'mail'"},
		{"startswith(accountEnabled,'t')", "Request_UnsupportedQuery", "property 'accountEnabled'"},
		{"mail eq 'unterminated", "BadRequest", "There is an unterminated string literal at position 8 in 'mail eq 'unterminated'."},
		{"mail eq", "BadRequest", "Invalid filter clause: Syntax error at position 7 in 'mail eq'."},
		{"mail eq 'a' and", "BadRequest", "Syntax error at position 15"},
		{"(mail eq 'a'", "BadRequest", "Syntax error at position 12"},
		{"mail eq 'a' xor mail eq 'b'", "BadRequest", "Syntax error at position 12"},
		{"otherMails/any(x:y eq 'a')", "BadRequest", "Syntax error at position 17"},
		{"mail = 'a'", "BadRequest", "Syntax error at position 5"},
		{"", "BadRequest", "Syntax error at position 0"},
	}

	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := parseFilter(tt.filter)
			if err == nil {
				t.Fatalf("parseFilter(%q) succeeded, want an error", tt.filter)
			}
			if err.status != 400 {
				t.Errorf("status = %d, want 400", err.status)
			}
			if err.code != tt.wantCode {
				t.Errorf("code = %q, want %q", err.code, tt.wantCode)
			}
			if !strings.Contains(err.message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", err.message, tt.wantMessage)
			}
		})
	}
}
