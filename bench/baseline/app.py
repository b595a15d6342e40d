"""The baseline: the seed's design, a minimal Flask + twilio-python app (run under gunicorn, one worker per core).

Used only by bench/run.sh to compare piphone with. It serves what the seed served, written as the seed wrote it:

- ``GET /token``: an Access Token with a Voice grant. Unauthenticated, as in the seed (piphone requires a session).
- ``POST /voice``: the TwiML App's Voice URL. Validates ``X-Twilio-Signature`` with twilio-python's
  ``RequestValidator`` against BENCH_PUBLIC_URL + path, then answers Say (the number) + Dial with the caller ID.
- ``GET /queue-status``: the seed had no push: each browser polls this, and each poll asks Twilio's REST API for
  the queue and its members (two requests, through ``BENCH_TWILIO_API_URL``, the benchmark's counting mock).
- ``POST /voice/incoming``: signed; greets and enqueues the caller (the event the fan-out test times).
- ``GET /healthz``.
"""

import os

from flask import Flask, Response, abort, jsonify, request
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

ACCOUNT_SID = os.environ["BENCH_TWILIO_ACCOUNT_SID"]
AUTH_TOKEN = os.environ["BENCH_TWILIO_AUTH_TOKEN"]
API_KEY_SID = os.environ["BENCH_TWILIO_API_KEY_SID"]
API_KEY_SECRET = os.environ["BENCH_TWILIO_API_KEY_SECRET"]
APP_SID = os.environ["BENCH_TWILIO_APP_SID"]
CALLER_ID = os.environ["BENCH_CALLER_ID"]
PUBLIC_URL = os.environ["BENCH_PUBLIC_URL"].rstrip("/")
QUEUE = "radio-callin-queue"

app = Flask(__name__)
validator = RequestValidator(AUTH_TOKEN)
rest = Client(API_KEY_SID, API_KEY_SECRET, ACCOUNT_SID)
rest.api.base_url = os.environ.get("BENCH_TWILIO_API_URL", "https://api.twilio.com")


def validated():
    """The seed's check: the URL Twilio requested (public base + path + query) and the POST fields."""
    url = PUBLIC_URL + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(url, request.form, signature):
        abort(403)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/token")
def token():
    identity = "admin"
    access_token = AccessToken(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET, identity=identity, ttl=3600)
    access_token.add_grant(VoiceGrant(outgoing_application_sid=APP_SID, incoming_allow=True))
    return jsonify(identity=identity, token=access_token.to_jwt(), ttl=3600)


@app.post("/voice")
def voice():
    validated()
    to = request.form.get("To", "")
    response = VoiceResponse()
    response.say("Calling " + " ".join(c for c in to if c.isdigit()))
    dial = Dial(caller_id=CALLER_ID, answer_on_bridge=True, action="/voice/dial-ended")
    dial.number(to)
    response.append(dial)
    return Response(str(response), mimetype="text/xml")


@app.post("/voice/incoming")
def incoming():
    validated()
    response = VoiceResponse()
    response.say("Thanks for calling the station. Please hold and we will put you on the air.")
    response.enqueue(QUEUE, wait_url="/voice/wait")
    return Response(str(response), mimetype="text/xml")


@app.get("/queue-status")
def queue_status():
    queue = next((q for q in rest.queues.list() if q.friendly_name == QUEUE), None)
    if queue is None:
        return jsonify(queue=QUEUE, size=0, members=[])
    members = rest.queues(queue.sid).members.list()
    return jsonify(
        queue=QUEUE,
        size=queue.current_size,
        average_wait_seconds=queue.average_wait_time,
        members=[{"call_sid": m.call_sid, "position": m.position, "wait_seconds": m.wait_time} for m in members],
    )
