// Package iam holds identities and decides what they may do. Today there is
// one identity, the root account, whose key pair comes from the environment
// or from a 0600 file created on first start. The seams for users and
// policies are already here: Store is keyed by access key and maps to an
// account, and every request passes an Authorizer after authentication, so
// adding users or bucket policies changes this package only.
package iam
