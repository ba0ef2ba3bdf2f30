//go:build !linux

package local

import (
	"errors"
	"os"
)

const directSupported = false

func setDirect(*os.File) error { return errors.ErrUnsupported }

func clearDirect(*os.File) error { return errors.ErrUnsupported }

func directRefused(error) bool { return false }

// syncFS has no filesystem-wide sync here; group commit is refused at Open.
func syncFS(string) error { return errors.ErrUnsupported }

func deviceOf(string) (uint64, error) { return 0, errors.ErrUnsupported }

func writeData(*os.File) error { return nil }
