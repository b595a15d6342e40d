"""Writes <Connect><Stream> / <Start><Stream> documents with twilio-python's own builders.

Reads a JSON list of cases on stdin; prints a JSON list of documents (one per case)."""
import json
import sys

from twilio.twiml.voice_response import Connect, Start, VoiceResponse

out = []
for case in json.load(sys.stdin):
    response = VoiceResponse()
    verb = (Connect if case["verb"] == "connect" else Start)(**case["verb_attrs"])
    stream = verb.stream(**case["stream_attrs"])
    for name, value in case["parameters"]:
        stream.parameter(name=name, value=value)
    response.append(verb)
    out.append(str(response))
json.dump(out, sys.stdout)
