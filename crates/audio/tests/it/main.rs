//! The audio layer's tests, one binary. They listen: frequencies, levels and digits are measured, and where a
//! reference exists that piphone did not write (sox, espeak-ng) the test compares against it.

mod analyse;
mod drift;
mod dtmf;
mod g711;
mod jitter;
mod mixer;
mod tone;
mod tools;
mod wav;
