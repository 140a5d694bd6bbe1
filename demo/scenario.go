package demo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
)

// ItemName is the name of the demo's connected item; rules refer to it.
const ItemName = "Reporter office"

// office is a directory office and the support group and queue its tickets go to.
type office struct {
	name         string
	supportGroup string
	queue        string
}

var offices = []office{
	{name: "Paris", supportGroup: "EMEA Service Desk", queue: "Paris"},
	{name: "London", supportGroup: "EMEA Service Desk", queue: "London"},
	{name: "New York", supportGroup: "Americas Service Desk", queue: "New York"},
	{name: "Singapore", supportGroup: "APAC Service Desk", queue: "Singapore"},
}

func supportGroups() []string {
	seen := map[string]bool{}
	var groups []string
	for _, o := range offices {
		if !seen[o.supportGroup] {
			seen[o.supportGroup] = true
			groups = append(groups, o.supportGroup)
		}
	}
	return groups
}

func queues() []string {
	names := make([]string, 0, len(offices))
	for _, o := range offices {
		names = append(names, o.queue)
	}
	return names
}

// graphDatasource is the datasource as the Azure AD guide sets it up.
func graphDatasource(e *Emulators) httpapi.DatasourceBody {
	return httpapi.DatasourceBody{
		Name:                "Microsoft Graph",
		BaseURL:             e.GraphURL + "/v1.0",
		APIDocumentationURL: "https://learn.microsoft.com/graph/api/resources/user",
		TestPath:            "/users?$top=1&$select=id",
		TimeoutSeconds:      10,
		Auth: httpapi.AuthBody{
			Mode:                 "oauth2-client-credentials",
			TokenURL:             e.TokenURL(),
			ClientID:             ClientID,
			ClientSecret:         e.ClientSecret,
			ClientAuthentication: "body",
			Scopes:               []string{GraphScope},
		},
	}
}

// jiraDatasource is the Jira site fieldlink writes fields to, with an
// account's email and API token.
func jiraDatasource(e *Emulators) httpapi.DatasourceBody {
	return httpapi.DatasourceBody{
		Name:                "Jira Cloud",
		BaseURL:             e.JiraURL,
		APIDocumentationURL: "https://developer.atlassian.com/cloud/jira/platform/rest/v3/",
		TestPath:            "/rest/api/3/myself",
		Auth:                httpapi.AuthBody{Mode: "basic", Username: JiraEmail, Password: e.JiraAPIToken},
	}
}

// officeItem looks the reporter up by mail, so guests (whose sign-in name is
// not their mail) are found too.
func officeItem(datasourceID string) httpapi.ItemBody {
	return httpapi.ItemBody{
		Name:       ItemName,
		Datasource: datasourceID,
		Type:       "read-only",
		Request: httpapi.ItemRequestBody{
			Method: "GET",
			Path:   "/users?$filter=mail eq '${reporter.emailAddress}'&$select=displayName,officeLocation",
		},
		Root:     "$.value[*]",
		Template: "${row.officeLocation}",
	}
}

// officeRules routes each office to its support group and queue.
func officeRules() []httpapi.RuleBody {
	rules := make([]httpapi.RuleBody, 0, len(offices))
	for i, o := range offices {
		rules = append(rules, httpapi.RuleBody{
			Name:      o.name + " office",
			Position:  (i + 1) * 10,
			Condition: fmt.Sprintf("items[%q] == %q", ItemName, o.name),
			Fields: map[string]json.RawMessage{
				"customfield_10050": selectValue(o.supportGroup),
				"customfield_10051": selectValue(o.queue),
			},
			// Templates fill in the office the lookup found.
			AddLabels:       []string{`office-${lower(replace(items["` + ItemName + `"], " ", "-"))}`},
			Comment:         `Routed by fieldlink: the reporter works in the ${items["` + ItemName + `"]} office, so this request goes to ` + o.supportGroup + `.`,
			CommentInternal: true,
		})
	}
	return rules
}

func selectValue(v string) json.RawMessage {
	raw, _ := json.Marshal(map[string]string{"value": v})
	return raw
}

// reporters returns the Jira accounts that file the demo's tickets. First
// come the directory users whose look-up is hard (a guest, an apostrophe, a
// plus-addressed mail, no office), then others from each office in turn up
// to max. Last come one person the directory does not know and one whose
// email Jira hides.
func reporters(max int) []jiracloud.Account {
	directory := graph.SampleDirectory()
	chosen := make([]bool, len(directory))
	var picked []int

	for i, u := range directory {
		hard := strings.Contains(u.UserPrincipalName, "#EXT#") || strings.ContainsAny(u.Mail, "'+") || u.OfficeLocation == ""
		if u.Mail != "" && hard && len(picked) < max {
			chosen[i] = true
			picked = append(picked, i)
		}
	}
	for added := true; added && len(picked) < max; {
		added = false
		for _, o := range offices {
			for i, u := range directory {
				if !chosen[i] && u.Mail != "" && u.OfficeLocation == o.name && len(picked) < max {
					chosen[i], added = true, true
					picked = append(picked, i)
					break
				}
			}
		}
	}
	sort.Ints(picked)

	accounts := make([]jiracloud.Account, 0, len(picked)+2)
	for _, i := range picked {
		accounts = append(accounts, jiracloud.Account{
			AccountID:   fmt.Sprintf("712020:%08d-demo-4000-8000-%012d", i+1, i+1),
			DisplayName: directory[i].DisplayName,
			Email:       directory[i].Mail,
		})
	}
	return append(accounts,
		jiracloud.Account{AccountID: "712020:00000101-demo-4000-8000-000000000101", DisplayName: "Tomás Rivera", Email: "tomas.rivera@contractor.example"},
		jiracloud.Account{AccountID: "712020:00000102-demo-4000-8000-000000000102", DisplayName: "Kim Private", Email: "kim.private@fabrikam.example", EmailHidden: true},
	)
}
