#!/usr/bin/env bash
# Writes speech_16k.wav: one English sentence spoken by espeak-ng, resampled by sox to 16 kHz mono
# 16-bit PCM, with 1.5 s of digital silence before and after. The Silero tests use it as real speech.
#   apt-get install espeak-ng sox && bash make_speech_wav.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp --suffix .wav)"
trap 'rm -f "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp" "Voice activity detection finds the parts of a recording where someone speaks."
sox "$tmp" -r 16000 -c 1 -b 16 "$here/speech_16k.wav" pad 1.5 1.5
