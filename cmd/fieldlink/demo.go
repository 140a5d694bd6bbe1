package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/fieldlink/fieldlink/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	once := fs.Bool("once", false, "exit after every ticket is processed instead of serving on")
	listen := fs.String("listen", "127.0.0.1:0", "address of the fieldlink server (default: a free loopback port)")
	data := fs.String("data", "", "data folder (default: a new temporary folder)")
	tickets := fs.Int("tickets", 10, "number of directory users who file a ticket, besides the unknown and the hidden-email reporter")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the tickets to be processed")
	logLevel := fs.String("log-level", "warn", "log level of the server's log on stderr: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: fieldlink demo [flags]

Starts emulators of Entra ID, Microsoft Graph and Jira Cloud on loopback, starts fieldlink on a
temporary SQLite database, configures it through its REST API and routes Jira tickets by the
reporter's office. Nothing leaves this machine.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo takes no arguments, got %q", fs.Args())
	}

	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	_, err = demo.Run(ctx, demo.Options{
		Once:    *once,
		Listen:  *listen,
		DataDir: *data,
		Tickets: *tickets,
		Wait:    *wait,
		Out:     stdout,
		Logger:  logger,
	})
	if err != nil && ctx.Err() != nil && !*once {
		// Ctrl+C ends a serving demo; that is not a failure.
		return nil
	}
	return err
}
