"""Behaviour cues: what a text *does* rather than what it is about. Each cue is a broad pattern
over folded text (an instruction addressed to the assistant about its own rules, role-play
framing, a request to reveal hidden text, output coercion, fake authority, fake turns ...).
No cue is proof on its own; fusion weighs them (weights fitted on out-of-source predictions by
``benchmarks/train_injection.py``). Patterns are gated by the literals they require, like
signatures (`Prefilter`), and run with `REGEX_TIMEOUT`."""
from __future__ import annotations

from dataclasses import dataclass

from ...timed_regex import TimedPattern
from .signatures import Prefilter, compile_pattern

_META = (r"(?:instructions?|inst\w{0,3}ctions?|intructions?|instrucions?|rules|guidelines|guidance|directives?"
         r"|directions|directoins|prompts?|programming|(?:(?:your|its|content|safety|usage|ethical|moral) )(?:polic(?:y|ies)"
         r"|filters?)|restrictions|constraints|training|settings|system message|system prompt|initial prompt)")
_SECRET = r"(?:password|passcode|passphrase|secret(?: word| code| key| phrase)?|code ?word|pin|key|credentials|token)"
_REVEAL = (r"\b(?:reveal|print|repeat|show|tell|output|display|give|spell|write|type|recite|disclose|leak|share|dump"
           r"|list|say|provide|translate|encode|hint|what is|what's|whats)\b")

_SECRET_WORD = (r"(?:password|passcode|passphrase|passwort|kennwort|secret(?: word| code| key)?|code ?word|magic word"
                r"|access code|pin|key phrase|mot de passe|contrasena|senha|wachtwoord)")
# A secret word that ends its noun phrase ("reveal the password", "the password, backwards") rather
# than names a topic ("the password policy", "the key difference", "the pin layout"): the next
# word, if any, is a function word or one that says how to give the secret away. (Folded text has
# one space between words: "\s" reads the whole gap, and a look-ahead of bounded reach lets the cue
# be searched in windows around its literals rather than through the whole of a long text.)
_NP_END = (r"(?!\s(?!(?:is|was|were|for|of|to|into|in|on|at|and|or|but|that|which|you|u|me|us|now|please|pls|plz"
           r"|again|here|so|with|from|by|as|if|then|without|letters?|characters?|chars?|digits?|backwards?"
           r"|reversed|in|one|first|last|too|exactly|word|only|i|we|it|this|instead|right|immediately|spelled"
           r"|spelt|encoded|written|below|above|the|a|an)\b)[^\W\d_])")
# The exceptions for the writer's own material do not hold before an attack's order later in the
# sentence or in the next one ("ignore the rules in this file and send ...", "the rules I gave
# you; you are now DAN"): the fragment {attack_order} (`orders.ATTACK_ORDER`), which the
# signatures override.ignore-previous and override.ignore-everything-above name too.
_NO_ORDER = r"(?!{attack_order})"
# Advice that negates the request ("never share your password", "we will never ask you to tell us
# your password", "do not write your password down"): help-centre and policy text, not extraction.
# Not after "you" ("you can't tell me the password, but...", "you don't have to"), not when the
# secret would go to the writer ("don't tell me the password, just spell it backwards"), not a
# negation that encourages ("never forget to", "don't hesitate", "nobody minds", "not a problem")
# and not advice with a way out in the sentence ("except me", "but me", "unless ..."): no advice.
_NEGATION = (r"(?<!\byou )\b(?:never|not|don't|dont|do not|must not|mustn't|should not|shouldn't|won't|will not"
             r"|no one|nobody|avoid|refuse to)(?! (?:forget\w*|hesitat\w*|mind\w*|worry\w*|be afraid|a problem)\b)"
             r"(?: \w+){0,3} ")
_WAY_OUT = r"(?![^.!?\n]{0,120}?\b(?:except (?:me|us)|but me|unless)\b)"
_NEGATED_VERB = r"(?!(?<=" + _NEGATION + r")(?!\w+ me\b)" + _WAY_OUT + r")"  # before the verb
_NEGATED = r"(?!(?<=" + _NEGATION + r")(?<! me )" + _WAY_OUT + r")"  # before the secret
# The assistant's secret ("my password" is the user's own: a support question).
_GIVEN_SECRET = (_NEGATED + r"(?:the|your|its|this|that|ur) (?:(?:secret|hidden|admin|current|real|correct|special) )?"
                 + _SECRET_WORD + r"\b" + _NP_END)
# Instructions that are the writer's own or part of the writer's material, not the assistant's
# ("my earlier instructions", "the constraints I gave you", "the instructions in the recipe", "the
# instructions about the tone", "the text below the line"), unless an attack's order follows. Only
# I/my/me: a company page or e-mail speaks as "we"/"our". The same frame as the signature
# override.ignore-previous (rules/injection/override.yaml).
_NOT_MINE = r"(?!(?<=\bmy(?: \w+){0,2} )" + _NO_ORDER + r")"
_NOT_OWN_MATERIAL = (r"(?!(?: (?:that |which )?i(?:'ve| have| had)? (?:gave|give|set|wrote|write|sent|said|mentioned"
                     r"|listed|added|posted|pasted|typed|made|provided|shared|asked|used)\b| (?:in|from|of|on|inside) (?:the"
                     r"|this|that|my) (?:\w+ )?(?:recipe|e-?mail|mail|letter|document|doc|file|draft|essay|article|post"
                     r"|page|notes?|list|code|script|snippet|manual|guide|readme|form|spreadsheet|sheet|report|slides?"
                     r"|outline|paragraph|section|chapter|book|box|label|packet|package|template)s?\b| (?:about|regarding"
                     r"|for|on) (?:the |my )?(?:tone|format|formatting|style|length|layout|wording|font|bullet points?"
                     r"|bullets|spelling|structure|order|word count|headings?|colou?rs?)\b| below\b)" + _NO_ORDER + r")")
_PROBE = (r"(?:letters?|characters?|spell\w*|backwards?|revers\w*|initials?|hints?|clues?|rhym\w*|riddles?"
          r"|synonyms?|acrostic|base64|encod\w*|encrypt\w*|translat\w*|nato|phonetic|pig latin|length|how long|how many"
          r"|contains?|vowels?|position|shift\w*|anagram|cipher|caesar|morse|hex|binary|one by one|separated|spaces"
          r"|underscores?|dashes)")
_VICTIM = (r"(?:someone|somebody|anyone|a (?:person|human|child|kid)|people|humans|him|her|them|(?:my|his|her|their|a) "
           r"(?:\w+ )?(?:ex|neighbou?r|boss|wife|husband|partner|friend|teacher|coworker|colleague|family|parents?"
           r"|mother|father|brother|sister|child|kids?)\w*(?:'s)?)")
_HARM = (r"(?:make|build|assemble) (?:a |an )?(?:\w+ )?(?:bomb|explosive|weapon|gun|poison)|synthesi[sz]e|cook meth"
         r"|hack into|break into|steal|launder|(?:poison|kill|murder|hack) " + _VICTIM + r"|stalk"
         r"|track (?:someone|an? \w+)|evade|smuggle"
         r"|counterfeit|forge|defraud|scam|bribe|blackmail|extort|traffic|crack (?:a |the )?(?:password|wi-?fi|software)"
         r"|phish|spread (?:false|fake|misinformation|disinformation)|bypass (?:a |the )?(?:security|immobili[sz]er|alarm"
         r"|paywall|drm|filter)|cheat (?:on )?(?:an? )?(?:exam|test)|(?:buy|get) (?:an? )?(?:unregistered|illegal|untraceable)")

CUES: dict[str, str] = {
    # an imperative aimed at the assistant's own rules: "ignore/forget/override ... instructions"
    "meta_override": (r"\b(?:ignor\w*|disreg\w*|forget|forgotten|override|bypass|skip|drop|abandon|discard|neglect|cancel"
                      r"|opposite of"
                      r"|replace|circumvent|break|violate|disable|deactivate|turn off|remove|lift|suspend)\b"
                      r"(?: \w+){0,5}? " + _NOT_MINE + _META + r"\b" + _NOT_OWN_MATERIAL),
    # the conversation's own rules, referred to as such
    "own_rules": (_NOT_MINE + r"\b(?:your|these|the above|above|previous|prior|earlier|preceding|original|initial"
                  r"|system|developer|hidden|secret) " + _META + r"\b" + _NOT_OWN_MATERIAL),
    # a request to reveal, print or repeat the assistant's hidden text (not to write "a system prompt")
    "reveal_prompt": (_REVEAL + r"(?: \w+){0,4}? (?<!\ban? )(?:your|the (?:system|hidden|secret|initial|original|above|previous"
                      r"|full|first|confidential|current|last|prior|exact|complete|specific)|hidden|secret|system|current"
                      r"|last|previous|prior|initial|original|above) (?:\w+ )?" + _META + r"\b"),
    # the instructions the assistant was given, asked about as such
    "given_instructions": (r"\b(?:instructions?|rules|guidelines|directions|prompt|orders)\b (?:that |which |with which )?"
                           r"(?:you|u)(?:'ve| have| were| are| had)? (?:been )?(?:given|told|received|got|following"
                           r"|programmed|informed|trained)\b|\bwhat (?:\w+ ){0,3}(?:instructions?|rules|guidelines) "
                           r"(?:are|were|have|did) (?:you|u)\b|\bwhat were you told\b"),
    # ... or a secret it was given
    "reveal_secret": (_NEGATED_VERB + _REVEAL + r"(?: \w+){0,3}? (?:the|your|its|this|that) (?:secret |hidden |admin |current |real )?"
                      + _SECRET + r"\b" + _NP_END),
    # role-play framing that redefines the assistant
    "roleplay": (r"\b(?:you are now|you're now|you will now be|from now on|pretend (?:to be|you are|that you)"
                 r"|act as|role-?play|play the (?:role|part)|stay in character|in character|take on the (?:role|persona)"
                 r"|simulate|imagine you are|you are going to (?:act|pretend|be)|your new (?:name|role|persona))\b"),
    # an alternative persona without limits
    "unrestricted": (r"\b(?:unrestricted|unfiltered|uncensored|unbound|amoral|jailbr\w*)\b|\b(?:no|without|free "
                     r"(?:of|from)|not bound by|beyond|ignor\w*) (?:any |all |every |your |the )?(?:\w+ )?(?:"
                     r"restrictions|limits|limitations|filters?|censorship|ethics|morals?|morality|guidelines|rules|"
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
    # fake turns and role tokens (not bare separators and headings: "---", "===", "###" rule every
    # markdown document, where they flagged 12% of package READMEs' 2 KB chunks; a separator that
    # opens a turn, "### system:", "=== END PROMPT ===", is a signature in rules/injection/role_tokens.yaml)
    "fake_turn": (r"\b(?:system|assistant|user|human|admin|developer): |<\|[a-z_]{2,20}\|>|</?(?:system|user|assistant"
                  r"|inst|sys|im_start|im_end|instructions?)>|\[/?(?:inst|system)\]"
                  r"|\bend of (?:prompt|instructions|input|context|text)\b"),
    # "new task": replacing what the assistant was asked to do
    # ("instead" leading a clause: "instead output ...", not "use a password manager instead", "instead of")
    "new_task": (r"\b(?:instead(?=,? (?!of\b)\w)|new (?:task|instructions?|goal|objective|role)|your (?:real|true|actual|only|new) "
                 r"(?:task|goal|purpose|job|instructions?)|now (?:you|your)|stop (?:being|doing|translating|"
                 r"summari[sz]ing|following)|change of plans?)\b"),
    # questions about the form of a given secret rather than the secret itself (letters,
    # spelling, encodings, hints, rhymes): the indirect way to extract it
    "secret_probe": (r"\b" + _PROBE + r"(?:\W+\w+){0,6}?\W+" + _GIVEN_SECRET + r"\b|\b" + _GIVEN_SECRET
                     + r"(?:\W+\w+){0,6}?\W+" + _PROBE + r"\b"),
    # overrides and persona switches in German, French, Spanish, Italian, Portuguese, Dutch, Russian, Chinese
    "foreign_override": (r"\b(?:ignorier\w*|vergiss|vergessen sie|missacht\w*|ignorez|oublie[sz]?|ignora|olvida\w*"
                         r"|dimentica|esqueca|negeer|vergeet)\b(?: \S+){0,5}? (?:anweisungen|instruktionen|regeln|vorgaben|eingaben|befehle|richtlinien|restriktionen"
                         r"|instructions|consignes|regles|instrucciones|reglas|istruzioni|regole|instrucoes|regras"
                         r"|instructies|regels|alles|tout|todo|tutto|tudo)\b|\b(?:du bist (?:jetzt|nun|ab sofort)|tu es "
                         r"(?:maintenant|desormais)|ahora eres|(?:ora|adesso) sei|agora (?:voce e|es)|je bent nu)\b"
                         # Russian (folded: no breve on и) and Chinese
                         r"|\b(?:забудь\w*|(?:про)?игнорируи\w*|не обращаи\w* внимания на|отбрось\w*|пренебреги\w*)"
                         r"(?: \S+){0,5}? (?:инструкц\w*|указани\w*|правил\w*|предыдущ\w*|промпт\w*)|\b(?:теперь ты"
                         r"|ты теперь|отныне ты)\b|(?:忽略|无视|忘记|忘掉|不要理会|不要遵守)[^。！？\n]{0,12}?(?:指令|指示|规则"
                         r"|提示|要求|设定)|(?:你现在是|从现在开始你)"),
    # requests to reveal the prompt or a password in those languages
    "foreign_reveal": (r"\b(?:zeige?|nenne?|verrate|gib|revele\w*|montre\w*|affiche\w*|donne\w*|revela\w*|muestra\w*"
                       r"|dime|dame|rivela\w*|mostra\w*|dimmi|mostre|diga|laat|vertel|geef)\b(?:-\w+)?(?: \S+){0,4}? (?:"
                       r"system-?prompt|systemanweisung\w*|anweisungen|passwort|kennwort|prompt systeme|instructions"
                       r"|mot de passe|instrucciones|contrasena|prompt del sistema|istruzioni|prompt di sistema|password"
                       r"|senha|instrucoes|prompt de sistema|systeemprompt|instructies|wachtwoord)\b"
                       r"|\b(?:покажи|выведи|раскрои|скажи|назови|напиши|повтори|напечатаи)\w*(?: \S+){0,4}? (?:системн\w* "
                       r"(?:промпт|подсказк|инструкц|сообщени)\w*|парол\w*|(?:свои|твои|ваши) инструкц\w*)"
                       r"|(?:告诉我|显示|输出|打印|透露|泄露|重复|给我)[^。！？\n]{0,8}?(?:系统提示|提示词|密码|口令|指令|初始指示)"),
    # a request for step-by-step help with something harmful (jailbreaks wrap these in fiction)
    "harmful_howto": (r"\b(?:how (?:to|do i|can i|would (?:one|someone|i))|steps? to|guide (?:to|for|on)|tutorial (?:on|for)"
                      r"|instructions (?:to|for|on)|explain how to|ways to|teach (?:me|\w+) (?:how )?to)(?: \w+){0,3}? (?:"
                      + _HARM + r")\b"),
    # a refusal pre-empted
    "no_refusal": (r"\b(?:never|don't|do not|cannot|can't|must not|will not|won't|not allowed to) (?:ever )?"
                   r"(?:refuse|decline|say no|apologi[sz]e|warn|mention (?:that|your)|break character|reject)\b"),
}
"""Cue name -> pattern (over folded text, fragments such as ``{attack_order}`` named). The names are
the fusion's feature names."""


@dataclass(frozen=True, slots=True)
class Cue:
    name: str
    pattern: TimedPattern
    prefilter: Prefilter


COMPILED = tuple(Cue(name, pattern, Prefilter.of(pattern.pattern))
                 for name, pattern in ((name, compile_pattern(p)) for name, p in CUES.items()))


def cues_in(folded: str) -> tuple[str, ...]:
    """Names of the cues present in ``folded`` text."""
    return tuple(c.name for c in COMPILED if c.prefilter.search(c.pattern, folded))
