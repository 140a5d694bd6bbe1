package credential

// Test helpers for the external test package credential_test.
var (
	NewTestKeyPair = newTestKeyPair
	InAYear        = inAYear
)

// Key formats of NewTestKeyPair.
const (
	RSAPKCS1 = rsaPKCS1
	RSAPKCS8 = rsaPKCS8
	ECPKCS8  = ecPKCS8
)
