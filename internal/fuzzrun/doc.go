// Package fuzzrun contains TestFuzzTargetsRunBriefly, which runs every fuzz
// target of the module with the fuzzing engine for a short time. It has no
// code of its own outside the test.
package fuzzrun
