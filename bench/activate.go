//go:build linux

package main

import (
	"context"
	"errors"
)

const fd3ServerArg = "-fd3-server"

func fd3Server() int { return 1 }

func benchActivate(ctx context.Context, cfg config) (verdicts, error) { return nil, errors.New("todo") }
