package graph

import "strings"

// User is a directory user. An empty string property is absent and is
// serialized as JSON null, as Graph serializes a property that has no value.
// An empty collection is serialized as [].
type User struct {
	ID                string
	DisplayName       string
	GivenName         string
	Surname           string
	Mail              string
	UserPrincipalName string
	OfficeLocation    string
	Department        string
	JobTitle          string
	City              string
	Country           string
	UsageLocation     string
	// UserType is "Member" or "Guest".
	UserType       string
	AccountEnabled bool
	OtherMails     []string
	BusinessPhones []string
	MobilePhone    string
}

// propertyKind is the type of a property, which sets how it is serialized
// and filtered.
type propertyKind int

const (
	kindString propertyKind = iota
	kindBool
	kindStrings
	// kindNull is a real Graph user property the emulator keeps no value
	// for. It can be selected and is always null.
	kindNull
)

// property is a user property the emulator can select.
type property struct {
	name string
	kind propertyKind
	// filterable reports whether $filter accepts the property.
	filterable bool
	value      func(User) any
}

func stringProperty(name string, get func(User) string) property {
	return property{name: name, kind: kindString, filterable: true, value: func(u User) any { return get(u) }}
}

func nullProperty(name string) property {
	return property{name: name, kind: kindNull, value: func(User) any { return nil }}
}

// properties lists the user properties the emulator serves, in the order of
// Graph's user resource.
var properties = []property{
	stringProperty("id", func(u User) string { return u.ID }),
	{name: "accountEnabled", kind: kindBool, filterable: true, value: func(u User) any { return u.AccountEnabled }},
	nullProperty("ageGroup"),
	{name: "businessPhones", kind: kindStrings, value: func(u User) any { return u.BusinessPhones }},
	stringProperty("city", func(u User) string { return u.City }),
	nullProperty("companyName"),
	stringProperty("country", func(u User) string { return u.Country }),
	nullProperty("createdDateTime"),
	stringProperty("department", func(u User) string { return u.Department }),
	stringProperty("displayName", func(u User) string { return u.DisplayName }),
	nullProperty("employeeId"),
	nullProperty("faxNumber"),
	stringProperty("givenName", func(u User) string { return u.GivenName }),
	stringProperty("jobTitle", func(u User) string { return u.JobTitle }),
	stringProperty("mail", func(u User) string { return u.Mail }),
	nullProperty("mailNickname"),
	stringProperty("mobilePhone", func(u User) string { return u.MobilePhone }),
	stringProperty("officeLocation", func(u User) string { return u.OfficeLocation }),
	nullProperty("onPremisesSamAccountName"),
	{name: "otherMails", kind: kindStrings, filterable: true, value: func(u User) any { return u.OtherMails }},
	nullProperty("postalCode"),
	nullProperty("preferredLanguage"),
	nullProperty("state"),
	nullProperty("streetAddress"),
	stringProperty("surname", func(u User) string { return u.Surname }),
	stringProperty("usageLocation", func(u User) string { return u.UsageLocation }),
	stringProperty("userPrincipalName", func(u User) string { return u.UserPrincipalName }),
	stringProperty("userType", func(u User) string { return u.UserType }),
}

// defaultSelect is the property set Graph v1.0 returns for a user when the
// request has no $select.
var defaultSelect = []string{
	"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
}

// lookupProperty finds a property by name, ignoring case as Graph does.
func lookupProperty(name string) (property, bool) {
	for _, p := range properties {
		if strings.EqualFold(p.name, name) {
			return p, true
		}
	}
	return property{}, false
}

// jsonValue returns the property's value for encoding/json: nil for an empty
// string, and an empty slice in place of a nil collection.
func (p property) jsonValue(u User) any {
	v := p.value(u)
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
	case []string:
		if v == nil {
			return []string{}
		}
	}
	return v
}

// stringValue returns a string property's value, "" when it is null.
func (p property) stringValue(u User) string {
	s, _ := p.value(u).(string)
	return s
}

// userObject renders u with the selected properties, in selection order.
func userObject(u User, selected []property) object {
	obj := make(object, 0, len(selected))
	for _, p := range selected {
		obj = append(obj, member{p.name, p.jsonValue(u)})
	}
	return obj
}
