package graph

// SampleDirectory returns the made-up directory of Fabrikam that the demo
// serves: 16 users with fixed IDs under the reserved domain fabrikam.example.
// Every user with an office is in Paris, London, New York or Singapore. The
// directory holds the cases lookups must handle:
//
//   - Lena Fischer is a guest whose userPrincipalName contains #EXT#.
//   - Seán O'Brien has an apostrophe in his surname, mail and UPN.
//   - Priya Nair's mail is plus-addressed (priya.nair+helpdesk@…).
//   - Grace Whitfield's account is disabled.
//   - Noah Williams has no office: his officeLocation is null.
//
// Phone numbers are in ranges reserved for fiction (+44 20 7946 0xxx and
// +1 212 555 01xx). Each call returns a new slice.
func SampleDirectory() []User {
	return []User{
		employee("2aee0129-7e46-42b8-ab04-58e3ae936dcc", "Amélie", "Laurent", "amelie.laurent", "Paris", "IT", "Service Desk Lead", "France", "FR"),
		employee("083a8809-fdfe-45a1-85fb-dc9ebe65f29b", "Julien", "Moreau", "julien.moreau", "Paris", "Finance", "Financial Controller", "France", "FR"),
		employee("7eee04e1-a379-4a6d-9f66-8727007b572d", "Camille", "Dubois", "camille.dubois", "Paris", "Sales", "Account Executive", "France", "FR"),
		{
			ID:                "ede1de79-a46c-46d5-ae6d-46f4fa20fc38",
			DisplayName:       "Lena Fischer (Partner)",
			GivenName:         "Lena",
			Surname:           "Fischer",
			Mail:              "lena.fischer@partner.example",
			UserPrincipalName: "lena.fischer_partner.example#EXT#@fabrikam.example",
			OfficeLocation:    "Paris",
			JobTitle:          "Consultant",
			Country:           "Germany",
			UserType:          "Guest",
			AccountEnabled:    true,
			OtherMails:        []string{"lena.fischer@partner.example"},
		},
		withPhone(employee("95d9fef9-c71d-4d9d-8fed-176e341d4f4b", "Oliver", "Bennett", "oliver.bennett", "London", "Engineering", "Platform Engineer", "United Kingdom", "GB"), "+44 20 7946 0101"),
		withPhone(employee("cb06088c-56d9-4d49-81eb-fcefd17d43b0", "Seán", "O'Brien", "sean.o'brien", "London", "Legal", "Legal Counsel", "United Kingdom", "GB"), "+44 20 7946 0102"),
		withMail(employee("6cf07cce-8e7a-4b6d-8206-ff080421480e", "Priya", "Nair", "priya.nair", "London", "IT", "Service Desk Analyst", "United Kingdom", "GB"), "priya.nair+helpdesk@fabrikam.example"),
		employee("26e7bdb4-bda1-4db3-baec-f5c84beccc08", "Emily", "Carter", "emily.carter", "London", "Human Resources", "HR Business Partner", "United Kingdom", "GB"),
		withOtherMails(withMobile(withPhone(employee("aef02c94-dd68-411b-8987-33ed4c584cec", "Marcus", "Johnson", "marcus.johnson", "New York", "Sales", "Sales Director", "United States", "US"), "+1 212 555 0101"), "+1 212 555 0150"), "marcus.johnson@personal.example"),
		withPhone(employee("60629e3a-ff76-422b-b58c-5e7d0c2bd020", "Sofia", "Rodriguez", "sofia.rodriguez", "New York", "Engineering", "Software Engineer", "United States", "US"), "+1 212 555 0102"),
		employee("974d1a34-c4f8-4778-ba36-4ba7df67b894", "David", "Kim", "david.kim", "New York", "Finance", "Accounts Payable Specialist", "United States", "US"),
		disabled(employee("0264d4dd-2206-4818-8b9b-951d93bdfc39", "Grace", "Whitfield", "grace.whitfield", "New York", "Marketing", "Marketing Manager", "United States", "US")),
		employee("c8b3de3d-f7e6-465b-894f-baf3b5027a7f", "Wei Ling", "Tan", "weiling.tan", "Singapore", "Operations", "Operations Manager", "Singapore", "SG"),
		employee("1ceea84a-fa13-4873-b93d-426b05e5007e", "Arjun", "Mehta", "arjun.mehta", "Singapore", "Engineering", "Site Reliability Engineer", "Singapore", "SG"),
		employee("a1ae18b0-9e5f-4ad7-b616-d5402ecb213b", "Nurul", "Hassan", "nurul.hassan", "Singapore", "IT", "Network Administrator", "Singapore", "SG"),
		noOffice(employee("6c8733c0-b7c6-4007-bc86-e24796eb2a0e", "Noah", "Williams", "noah.williams", "", "Sales", "Sales Development Representative", "United States", "US")),
	}
}

// employee returns an enabled member account whose mail and UPN are
// alias@fabrikam.example and whose city is its office.
func employee(id, givenName, surname, alias, office, department, jobTitle, country, usageLocation string) User {
	return User{
		ID:                id,
		DisplayName:       givenName + " " + surname,
		GivenName:         givenName,
		Surname:           surname,
		Mail:              alias + "@fabrikam.example",
		UserPrincipalName: alias + "@fabrikam.example",
		OfficeLocation:    office,
		Department:        department,
		JobTitle:          jobTitle,
		City:              office,
		Country:           country,
		UsageLocation:     usageLocation,
		UserType:          "Member",
		AccountEnabled:    true,
	}
}

func withPhone(u User, phone string) User {
	u.BusinessPhones = []string{phone}
	return u
}

func withMobile(u User, phone string) User {
	u.MobilePhone = phone
	return u
}

func withMail(u User, mail string) User {
	u.Mail = mail
	return u
}

func withOtherMails(u User, mails ...string) User {
	u.OtherMails = mails
	return u
}

func disabled(u User) User {
	u.AccountEnabled = false
	return u
}

func noOffice(u User) User {
	u.OfficeLocation = ""
	u.City = ""
	return u
}
