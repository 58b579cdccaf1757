"""Behaviour cues: what a text *does* rather than what it is about. Each cue is a broad pattern
over folded text (an instruction addressed to the assistant about its own rules, role-play
framing, a request to reveal hidden text, output coercion, fake authority, fake turns ...).
No cue is proof on its own; fusion weighs them (weights fitted on out-of-source predictions by
``benchmarks/train_injection.py``). Patterns are gated by the literals they require, like
signatures (`Prefilter`), and run with `REGEX_TIMEOUT`."""
from __future__ import annotations

from dataclasses import dataclass

import regex

from .signatures import Prefilter

_META = (r"(?:instructions?|rules|guidelines|guidance|directives?|directions|prompts?|programming|policy|policies"
         r"|restrictions|constraints|filters?|training|settings|system message|system prompt|initial prompt)")
_SECRET = r"(?:password|passcode|passphrase|secret|secret word|code ?word|pin|key|credentials|token)"
_REVEAL = (r"\b(?:reveal|print|repeat|show|tell|output|display|give|spell|write|type|recite|disclose|leak|share|dump"
           r"|list|say|provide|translate|encode|hint|what is|what's|whats)\b")

CUES: dict[str, str] = {
    # an imperative aimed at the assistant's own rules: "ignore/forget/override ... instructions"
    "meta_override": (r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard|neglect|cancel"
                      r"|replace|circumvent|break|violate|disable|deactivate|turn off|remove|lift|suspend)\b"
                      r"(?: \w+){0,5}? " + _META + r"\b"),
    # the conversation's own rules, referred to as such
    "own_rules": (r"\b(?:your|these|the above|above|previous|prior|earlier|preceding|original|initial|system|"
                  r"developer|hidden|secret) " + _META + r"\b"),
    # a request to reveal, print or repeat the assistant's hidden text
    "reveal_prompt": (_REVEAL + r"(?: \w+){0,4}? (?:your|the (?:system|hidden|secret|initial|original|above|previous"
                      r"|full|first|confidential)|hidden|secret|system) (?:\w+ )?" + _META + r"\b"),
    # ... or a secret it was given
    "reveal_secret": (_REVEAL + r"(?: \w+){0,3}? (?:the|your|its|this|that) (?:secret |hidden |admin |current |real )?"
                      + _SECRET + r"\b"),
    # role-play framing that redefines the assistant
    "roleplay": (r"\b(?:you are now|you're now|you will now be|from now on|pretend (?:to be|you are|that you)"
                 r"|act as|role-?play|play the (?:role|part)|stay in character|in character|take on the (?:role|persona)"
                 r"|simulate|imagine you are|you are going to (?:act|pretend|be)|your new (?:name|role|persona))\b"),
    # an alternative persona without limits
    "unrestricted": (r"\b(?:unrestricted|unfiltered|uncensored|unbound|amoral|jailbr\w*)\b|\b(?:no|without|free "
                     r"(?:of|from)|not bound by|beyond|ignore|ignoring) (?:any |all |your |the )?(?:\w+ )?(?:"
                     r"restrictions|limits|limitations|filters?|censorship|ethics|morals?|morality|guidelines|"
                     r"boundaries|polic(?:y|ies)|safeguards|refusals?)\b"),
    # addressed to the model as a model
    "address_ai": (r"\b(?:you are an? (?:ai|language model|llm|assistant|chatbot|model)|as an? (?:ai|language model"
                   r"|llm)|chatgpt|gpt-?\d|openai|anthropic|claude|llama|gemini|bard|the (?:ai|model|assistant|bot) "
                   r"(?:must|should|will|shall))\b"),
    # forcing the start of the answer, or an answer without its safety notes ("only reply with
    # code" is ordinary in benign prompts and is left out)
    "output_coercion": (r"\b(?:(?:begin|start|prefix|preface) (?:your|the|each|every) (?:reply|response|answer|"
                        r"output|message)s? with|(?:begin|start) with (?:the words|\"sure|'sure|sure,)|without (?:any )?"
                        r"(?:warnings?|disclaimers?|moral(?:izing)?|ethical (?:notes|warnings)|censorship|refusals?))\b"),
    # claims of special authority or modes
    "authority": (r"\b(?:developer mode|dev mode|debug mode|god mode|admin(?:istrator)? (?:mode|access|override|"
                  r"privileges|rights)|maintenance mode|root access|sudo|override code|system override|"
                  r"i am (?:your|the|an?) (?:developer|creator|admin|administrator|owner|programmer)|"
                  r"(?:authori[sz]ed|authori[sz]ation) (?:by|from|code|level)|security clearance)\b"),
    # fake turns, separators and role tokens
    "fake_turn": (r"\b(?:system|assistant|user|human|admin|developer): |<\|[a-z_]{2,20}\|>|</?(?:system|user|assistant"
                  r"|inst|sys|im_start|im_end|instructions?)>|\[/?(?:inst|system)\]|={3,}|-{3,}|#{3,}|\*{3,}"
                  r"|\bend of (?:prompt|instructions|input|context|text)\b"),
    # "new task": replacing what the assistant was asked to do
    "new_task": (r"\b(?:instead|new (?:task|instructions?|goal|objective|role)|your (?:real|true|actual|only|new) "
                 r"(?:task|goal|purpose|job|instructions?)|now (?:you|your)|stop (?:being|doing|translating|"
                 r"summari[sz]ing|following)|change of plans?)\b"),
    # a refusal pre-empted
    "no_refusal": (r"\b(?:never|don't|do not|cannot|can't|must not|will not|won't|not allowed to) (?:ever )?"
                   r"(?:refuse|decline|say no|apologi[sz]e|warn|mention (?:that|your)|break character|reject)\b"),
}
"""Cue name -> pattern (over folded text). The names are the fusion's feature names."""


@dataclass(frozen=True, slots=True)
class Cue:
    name: str
    pattern: regex.Pattern[str]
    prefilter: Prefilter


COMPILED = tuple(Cue(name, regex.compile(p), Prefilter.of(p)) for name, p in CUES.items())


def cues_in(folded: str) -> tuple[str, ...]:
    """Names of the cues present in ``folded`` text."""
    return tuple(c.name for c in COMPILED if c.prefilter.search(c.pattern, folded))
