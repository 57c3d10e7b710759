"""Words a help search ignores: Russian and English function words (after the Snowball
project's stop lists, snowballstem.org, shortened) and the few a customer puts in every
question ("не могу", "please"). Without them a query falls back to "any word" and "не" would
match every text with "нехватка" in it. PostgreSQL drops its own stop words as well; these
make both databases agree on the rest."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


RUSSIAN = _words(
    """
    и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по
    только ее её мне было вот от меня еще ещё нет о об из ему теперь когда даже ну ли если
    уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может
    они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе
    под будет ж тогда кто этот того потому этого какой совсем ним здесь этом почти мой тем
    чтобы нее сейчас были куда зачем всех никогда можно при наконец хоть после над больше
    тот через эти нас про всего них какая много разве эту моя впрочем свою этой перед иногда
    чуть том нельзя такой им более всегда конечно всю между могу можете хочу нужно надо
    почему пожалуйста помогите мой моя мое моё мои меня мне у нас вас ваш ваша ваше ваши это
    как
    """
)

ENGLISH = _words(
    """
    a an the and or but if of at by for with about to from in on into is are was were be
    been being am do does did doing not no nor can cannot cant could would should will shall
    may might must i me my mine we us our you your yours it its this that these those there
    here how what why when where which who whom whose please help hi hello so than then too
    very just has have had having he she they them their his her as up out off over under
    again
    """
)

STOPWORDS = frozenset(w.replace("ё", "е") for w in RUSSIAN | ENGLISH)
