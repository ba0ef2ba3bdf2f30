package iam

import "strings"

// A user's access key authenticates as the account string
// UserAccount(account, user) ("root/alice"): sigv4 carries one account
// string, and a string that is not RootAccount can never pass a check for
// the root account, so every root-only path refuses users by construction.

// UserAccount is the authenticated account string of user's keys.
func UserAccount(account, user string) string { return account + "/" + user }

// SplitAccount splits an authenticated account string into the account and
// the user name ("" for the account's root).
func SplitAccount(s string) (account, user string) {
	account, user, _ = strings.Cut(s, "/")
	return account, user
}
