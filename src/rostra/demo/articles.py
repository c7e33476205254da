"""The demo news site's stories: The Brennock Courier, a fictional local paper.

Written for Rostra's demo; the town, the people and the events are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Article:
    slug: str
    section: str
    title: str
    standfirst: str
    byline: str
    published: date
    paragraphs: tuple[str, ...]


ARTICLES: tuple[Article, ...] = (
    Article(
        slug="tamsel-floods-lower-town",
        section="Weather",
        title="Tamsel bursts its banks as Lower Town spends a night on the stairs",
        standfirst=(
            "Three days of rain pushed the river 2.4 metres above its normal level. "
            "Nobody was hurt, but 140 homes on Mill Row and Quay Street took water."
        ),
        byline="Ines Marrow",
        published=date(2026, 11, 23),
        paragraphs=(
            "The River Tamsel came over the quay wall at Brennock's Lower Town shortly "
            "after two o'clock on Sunday morning, an hour before the flood sirens on the "
            "old customs house were due to be tested for the winter.",
            "By dawn the water stood knee-deep on Mill Row. Families who had moved "
            "furniture upstairs the evening before watched from first-floor windows as "
            "volunteers from the rowing club ferried pensioners to the school gym on "
            "Hallam Hill, which the council opened as a rest centre at 3.10 a.m.",
            "\u201cWe've had the river in the cellar before. We've never had it in the "
            "kitchen,\u201d said Dorota Weiss, 71, who has lived on Quay Street since 1979.",
            "The gauge at Fennick Bridge peaked at 4.61 metres, the highest reading since "
            "records began there in 1952. The regional water board said the new "
            "flood gates at the weir had worked as designed, but were never meant "
            "for a storm that dropped a month's rain in sixty hours.",
            "The council has promised a skip on every affected street by Tuesday and "
            "a hardship payment of 500 crowns per household, to be claimed at the "
            "town hall or online. Insurers have set up a desk in the library foyer.",
            "Residents are asking why the second phase of the quay wall, approved in "
            "2021, has not started. The works committee meets on Thursday.",
        ),
    ),
    Article(
        slug="council-budget-passes-by-one-vote",
        section="Politics",
        title="Budget passes by one vote after four-hour row over the branch libraries",
        standfirst=(
            "Councillors approved a 61-million-crown budget at 11.48 p.m. on Wednesday. "
            "Two of Brennock's three branch libraries will move to four-day weeks."
        ),
        byline="Tomasz Achebe-Lund",
        published=date(2026, 11, 20),
        paragraphs=(
            "Brennock's council passed next year's budget by 17 votes to 16 late on "
            "Wednesday, after a debate that began with a petition of 4,200 signatures "
            "and ended with the mayor's casting vote being, in the end, unnecessary.",
            "The budget raises the property levy by 3.9 per cent, the largest rise in "
            "a decade, and puts most of the money into adult social care and the "
            "repair of the Fennick Bridge approach road.",
            "The cuts fall hardest on the branch libraries at Orchard Vale and Saltings, "
            "which will close on Mondays and Tuesdays from February. The central "
            "library keeps its hours.",
            "\u201cA library that is closed two days a week is a library that children "
            "learn not to rely on,\u201d said councillor Maren Okafor, who led the "
            "opposition amendment. It fell by two votes.",
            "The finance chair, Piet Galloway, said the alternative was a gap of 2.3 "
            "million crowns in the care budget. \u201cNobody in this room wanted to "
            "make this choice. The arithmetic made it for us.\u201d",
            "The Courier has published the full budget papers, including the line-by-line "
            "changes to each department, on our politics page.",
        ),
    ),
    Article(
        slug="rail-strike-brennock-calloway",
        section="Transport",
        title="Three-day rail strike halts every train between Brennock and Calloway",
        standfirst=(
            "Signal staff walk out from Monday over rosters and the closure of the "
            "Fennick signal box. Replacement buses will run every 30 minutes."
        ),
        byline="Ruth Abernathy",
        published=date(2026, 11, 18),
        paragraphs=(
            "No trains will run on the Tamsel Valley line from Monday to Wednesday next "
            "week after signal workers voted by 84 per cent to strike.",
            "The union says a plan to run the whole line from a control room in "
            "Calloway, closing the 110-year-old Fennick box, would leave one signaller "
            "covering 40 kilometres of track at night.",
            "The rail operator says the new system is safer than the lever frame it "
            "replaces and that no job will be lost. Talks at the arbitration service "
            "broke up on Friday without a date to resume.",
            "About 9,000 people use the line on a weekday, a third of them students at "
            "Calloway's university and the technical college.",
            "Replacement buses will leave the station forecourt every half hour from "
            "5.30 a.m. The journey will take about 75 minutes instead of 38. Season "
            "tickets will be accepted, and the operator says holders can claim three "
            "days' refund.",
        ),
    ),
    Article(
        slug="tardigrades-in-the-tram-depot",
        section="Science",
        title="Sixth-formers find a tardigrade new to the region in the old tram depot's moss",
        standfirst=(
            "A school project on the roof of the derelict depot turned up a water bear "
            "never recorded this far north, and a paper in a real journal."
        ),
        byline="Kofi Lindqvist",
        published=date(2026, 11, 12),
        paragraphs=(
            "When Brennock Academy's biology club scraped moss off the roof of the "
            "derelict tram depot last spring, they were hoping for something small to "
            "look at under the microscope. They got it: tardigrades, the half-millimetre "
            "animals that can survive drying out for years.",
            "One of them, with a distinctive ring of hooks on its claws, turned out to "
            "belong to a species known until now only from mountain streams about 600 "
            "kilometres to the south.",
            "\u201cWe thought we'd made a mistake with the key,\u201d said Hana Ostrova, 17, "
            "who spent the summer holidays counting claw hooks. \u201cThen the university "
            "said we hadn't.\u201d",
            "Dr Elias Brandt of Calloway University, who checked the identification, "
            "says the depot's flat roof, flooded every winter and baked every summer, "
            "is an unusually good home for animals that can pause their lives.",
            "The students' short paper was accepted this month by a regional natural "
            "history journal. The depot is due to be demolished next year for housing; "
            "the club has asked the developer to keep one corner of the roof.",
        ),
    ),
)

BY_SLUG = {a.slug: a for a in ARTICLES}
