package graph_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestSampleDirectoryCases(t *testing.T) {
	users := graph.SampleDirectory()

	if len(users) < 14 {
		t.Errorf("len = %d, want at least 14", len(users))
	}

	offices := map[string]bool{}
	var nullOffice, guests, disabled []string
	ids := map[string]bool{}
	for _, u := range users {
		if u.OfficeLocation == "" {
			nullOffice = append(nullOffice, u.DisplayName)
		} else {
			offices[u.OfficeLocation] = true
		}
		if u.UserType == "Guest" {
			guests = append(guests, u.UserPrincipalName)
		}
		if !u.AccountEnabled {
			disabled = append(disabled, u.DisplayName)
		}
		if !guidRE.MatchString(u.ID) {
			t.Errorf("%s: ID %q is not a lowercase GUID", u.DisplayName, u.ID)
		}
		if ids[u.ID] {
			t.Errorf("%s: duplicate ID %s", u.DisplayName, u.ID)
		}
		ids[u.ID] = true
		if !strings.HasSuffix(u.UserPrincipalName, "@fabrikam.example") {
			t.Errorf("%s: UPN %q is not in fabrikam.example", u.DisplayName, u.UserPrincipalName)
		}
		if !strings.HasSuffix(u.Mail, "@fabrikam.example") && !strings.HasSuffix(u.Mail, ".example") {
			t.Errorf("%s: mail %q is not under a reserved example domain", u.DisplayName, u.Mail)
		}
	}

	if diff := cmp.Diff(map[string]bool{"Paris": true, "London": true, "New York": true, "Singapore": true}, offices); diff != "" {
		t.Errorf("offices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Noah Williams"}, nullOffice); diff != "" {
		t.Errorf("users without office (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lena.fischer_partner.example#EXT#@fabrikam.example"}, guests); diff != "" {
		t.Errorf("guests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Grace Whitfield"}, disabled); diff != "" {
		t.Errorf("disabled users (-want +got):\n%s", diff)
	}

	mails := map[string]bool{}
	for _, u := range users {
		mails[u.Mail] = true
	}
	for _, mail := range []string{"lena.fischer@partner.example", "sean.o'brien@fabrikam.example", "priya.nair+helpdesk@fabrikam.example"} {
		if !mails[mail] {
			t.Errorf("no user has mail %q", mail)
		}
	}
}

func TestSampleDirectoryReturnsNewSlice(t *testing.T) {
	first := graph.SampleDirectory()
	first[0].DisplayName = "changed"
	first[0].OtherMails = append(first[0].OtherMails, "x@y.example")

	second := graph.SampleDirectory()

	if second[0].DisplayName == "changed" {
		t.Errorf("a change to one result shows in the next")
	}
	if slices.Contains(second[0].OtherMails, "x@y.example") {
		t.Errorf("a change to one result's OtherMails shows in the next")
	}
}
