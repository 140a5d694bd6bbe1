package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash %q does not carry the default parameters", hash)
	}

	ok, err := VerifyPassword(hash, "correct horse battery")
	if err != nil || !ok {
		t.Errorf("VerifyPassword with the right password = %v, %v; want true, nil", ok, err)
	}
	ok, err = VerifyPassword(hash, "correct horse batterz")
	if err != nil || ok {
		t.Errorf("VerifyPassword with a wrong password = %v, %v; want false, nil", ok, err)
	}
}

func TestPasswordHashSalted(t *testing.T) {
	a, _ := HashPassword("the same password")
	b, _ := HashPassword("the same password")
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordMalformedHash(t *testing.T) {
	for _, hash := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$!!"} {
		if _, err := VerifyPassword(hash, "password"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", hash)
		}
	}
}

func TestCheckPasswordLength(t *testing.T) {
	if err := CheckPassword("elevenchars"); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("11 characters: error %v, want ErrPasswordTooShort", err)
	}
	if err := CheckPassword("twelve chars"); err != nil {
		t.Errorf("12 characters: error %v", err)
	}
	if err := CheckPassword("ääääääääääää"); err != nil {
		t.Errorf("12 non-ASCII characters: error %v", err)
	}
}
