"""Labelled problem descriptions for measuring CPV suggestions (bench/bench_cpv_suggest.py).

Written as a municipal officer describes a problem, in their own words, not from the CPV
labels; each carries the codes a procurement officer would accept for it. A suggestion is
right when one of these codes' groups (first three digits) is among the groups of the top
five suggestions.

The first 40 (TUNING) were written before the suggester was tuned and used while tuning it;
the last 20 (HELD_OUT) were written only after tuning ended and never used to tune.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Labelled:
    language: Literal["sv", "en"]
    title: str
    problem: str
    codes: tuple[str, ...]


def _sv(title: str, problem: str, *codes: str) -> Labelled:
    return Labelled("sv", title, problem, codes)


def _en(title: str, problem: str, *codes: str) -> Labelled:
    return Labelled("en", title, problem, codes)


TUNING: tuple[Labelled, ...] = (
    _sv(
        "Hemtjänst på landsbygden",
        "Brukare i våra glesbygdsområden får vänta länge på hemtjänstens besök och personalen "
        "kör långa sträckor mellan hemmen. Vi vill hitta nya sätt att ge äldre stöd i vardagen "
        "i det egna hemmet, med trygghet och kontinuitet.",
        "98514000",
        "85311100",
        "85312400",
        "79622000",
    ),
    _en(
        "Care staff training in dementia",
        "Our care homes have many new and temporary staff who have never met residents with "
        "dementia. We want a way for staff to practise difficult situations safely before they "
        "meet them on the floor, and to keep their skills up to date.",
        "80500000",
        "80511000",
        "80561000",
        "80420000",
        "79632000",
    ),
    _sv(
        "Snöröjning av gång- och cykelvägar",
        "Varje vinter får vi klagomål på att gång- och cykelbanor plogas sent och är halkiga, "
        "särskilt kring skolor och äldreboenden. Vi behöver bättre planering av "
        "vinterväghållningen och snabbare sandning när det blir halt.",
        "90620000",
        "90630000",
        "45233141",
    ),
    _en(
        "School lunches with less food waste",
        "Pupils throw away a lot of the lunch we serve, and kitchens struggle to plan portions. "
        "We want school meals that children actually eat, cooked from local produce, and less "
        "food ending up in the bin.",
        "55523100",
        "55524000",
        "15894210",
    ),
    _sv(
        "Digital ingång för invånare",
        "Invånarna måste i dag ringa eller komma till kommunhuset för att söka bygglov, anmäla "
        "fel på gatlampor eller boka tid. Vi vill ha en samlad e-tjänst på webben där man kan "
        "logga in med BankID och följa sitt ärende.",
        "72212000",
        "72413000",
        "72400000",
        "48200000",
        "48900000",
    ),
    _en(
        "Household waste collection in rural areas",
        "Collection trucks drive half-empty routes to remote farms, and residents complain about "
        "overfull bins in summer. We want smarter waste collection: emptying bins when they are "
        "full, fewer trips and better sorting of food waste and packaging.",
        "90511000",
        "90500000",
        "90513000",
        "34144511",
    ),
    _sv(
        "Energieffektivisering i skolbyggnader",
        "Våra äldre skolor har höga kostnader för uppvärmning och ventilationen är dålig. Vi "
        "vill sänka energiförbrukningen och få bättre inomhusklimat utan stora ombyggnader, till "
        "exempel genom styrning och mätning av värme och ventilation.",
        "71314300",
        "71314200",
        "45331000",
        "50720000",
    ),
    _en(
        "Transport for people with disabilities",
        "Residents who use wheelchairs have to book their special transport a day ahead and often "
        "wait long for the vehicle. We want a more flexible mobility service so that people with "
        "disabilities can travel when they want to.",
        "60130000",
        "60140000",
        "60120000",
        "60112000",
    ),
    _sv(
        "Biblioteket som mötesplats",
        "Biblioteken har få besökare bland unga och utlåningen minskar. Vi vill göra biblioteken "
        "mer levande med nya sätt att låna böcker och e-böcker, längre öppettider med "
        "självservice och aktiviteter för barn och ungdomar.",
        "92511000",
        "30238000",
        "48161000",
        "22113000",
    ),
    _en(
        "Leakage in the drinking water network",
        "We lose almost a fifth of our drinking water through leaks in old pipes, and we often "
        "find out only when a street is flooded. We need to detect leaks earlier and plan "
        "renewal of the water mains.",
        "65100000",
        "65111000",
        "45232150",
        "45232151",
        "38421100",
        "71800000",
    ),
    _sv(
        "IT-support för skolans personal och elever",
        "Lärare och elever har problem med datorer och lärplattor som inte fungerar och får "
        "vänta flera dagar på hjälp. Vi behöver en supportfunktion som snabbt löser problem med "
        "utrustning, inloggning och nätverk.",
        "72253000",
        "72611000",
        "50300000",
    ),
    _en(
        "Cleaning of preschools",
        "Staff at our preschools say the premises are not clean enough and children get sick "
        "often. We want better cleaning of toilets, floors and toys, done at times when it does "
        "not disturb the children, with products that are safe for them.",
        "90919300",
        "90911200",
        "90910000",
        "39830000",
    ),
    _sv(
        "Granskning av kommunens räkenskaper",
        "De förtroendevalda revisorerna behöver stöd av sakkunniga för att granska nämndernas "
        "förvaltning och årsbokslutet. Vi söker stöd med revision och granskning av intern "
        "kontroll.",
        "79212000",
        "79212200",
        "79212300",
        "79212500",
    ),
    _en(
        "Translation of information for new arrivals",
        "Many residents who recently came to Sweden cannot read our letters and web pages. We "
        "need information about schools, health care and housing translated into Arabic, Somali, "
        "Dari and Tigrinya, and interpreters at meetings.",
        "79530000",
        "79540000",
    ),
    _sv(
        "Trygghet i centrum på kvällar",
        "Boende och handlare i centrum upplever otrygghet på kvällar och nätter, med skadegörelse "
        "och stökiga miljöer kring busstationen. Vi vill öka tryggheten, till exempel med "
        "ordningsvakter, väktare som patrullerar eller kameror.",
        "79710000",
        "79713000",
        "79715000",
        "35125300",
        "32323500",
    ),
    _en(
        "Street lighting that saves energy",
        "Many of our street lights are old and use a lot of electricity, and faulty lamps are "
        "reported late by residents. We want lighting on streets and paths that uses less energy, "
        "can be dimmed at night and reports faults by itself.",
        "34928500",
        "34993000",
        "45316110",
        "50232100",
    ),
    _sv(
        "Skolskjuts i glesbygd",
        "Många elever på landsbygden åker skolbuss i över en timme per dag och turerna passar "
        "dåligt med skolans tider. Vi vill planera skolskjutsen smartare, med kortare restider "
        "och flexibla fordon.",
        "60130000",
        "60112000",
        "60172000",
    ),
    _en(
        "Park and green space maintenance",
        "Our parks and playgrounds need mowing, pruning and litter picking, and residents ask for "
        "more flowers and benches. We want maintenance of green areas that is more sustainable "
        "and encourages biodiversity.",
        "77310000",
        "77313000",
        "77311000",
        "77340000",
    ),
    _sv(
        "Trygghetslarm för äldre som bor hemma",
        "Äldre som bor själva är oroliga att falla och inte kunna larma. Dagens larm fungerar "
        "bara i bostaden. Vi vill ha larm och sensorer som fungerar även utomhus och som larmar "
        "personal om någon faller.",
        "35121700",
        "79711000",
        "35125100",
        "85311100",
    ),
    _en(
        "Recruitment of teachers and care staff",
        "We have a hard time filling vacancies for teachers, nurses and assistant nurses, and many "
        "positions are covered by temporary agency staff at high cost. We want help to attract "
        "and recruit staff and to plan staffing.",
        "79600000",
        "79610000",
        "79620000",
        "79624000",
        "79635000",
    ),
    _sv(
        "Matlådor till äldre i hemmet",
        "Äldre med hemtjänst får färdiga matlådor levererade, men många tycker maten är tråkig "
        "och äter för lite, vilket leder till undernäring. Vi vill erbjuda god och näringsrik mat "
        "som levereras hem och passar den enskildes behov.",
        "55521100",
        "55521200",
        "85312200",
        "15894200",
    ),
    _en(
        "Digital booking of sports halls",
        "Associations book our sports halls and meeting rooms by calling the leisure office, and "
        "halls are often empty because bookings are not cancelled. We want an online booking "
        "system for premises that residents and clubs can use themselves.",
        "72212000",
        "48900000",
        "48100000",
        "72413000",
    ),
    _sv(
        "Avloppsvatten och översvämningar",
        "Vid kraftiga regn svämmar avloppsnätet över och orenat avloppsvatten når sjön. "
        "Reningsverket är gammalt och klarar inte dagens krav på rening av läkemedelsrester.",
        "90400000",
        "90420000",
        "90481000",
        "45252127",
        "45232400",
    ),
    _en(
        "Energy from the sun on municipal roofs",
        "We own many large flat roofs on schools and sports halls that could produce electricity. "
        "We want to install solar power on our buildings and use the energy ourselves, with "
        "monitoring of production.",
        "09331000",
        "09331200",
        "09332000",
        "45261215",
    ),
    _sv(
        "Psykisk ohälsa bland unga",
        "Allt fler ungdomar mår psykiskt dåligt och köerna till ungdomsmottagningen och BUP är "
        "långa. Vi vill kunna erbjuda tidigt stöd och samtal, gärna digitalt, till unga som mår "
        "dåligt.",
        "85121270",
        "85312300",
        "85312320",
        "85311300",
    ),
    _en(
        "Laundry for care homes",
        "The care homes wash residents' clothes and bed linen on site in old machines, clothes "
        "get lost and the staff spend hours on laundry instead of care. We want a laundry service "
        "that collects, washes and returns textiles.",
        "98310000",
        "98311000",
        "98311100",
        "98311200",
    ),
    _sv(
        "Vägunderhåll och potthål",
        "Kommunens gator har många potthål efter vintern och lagningarna håller dåligt. Vi "
        "behöver bättre underhåll av gatorna och ett sätt att hitta skador innan de blir stora.",
        "45233141",
        "45233142",
        "50230000",
    ),
    _en(
        "Fire safety training for staff",
        "Staff at our schools and care homes rarely practise what to do if a fire breaks out, and "
        "evacuation drills are often cancelled. We want engaging training in fire safety and "
        "evacuation for all staff.",
        "80550000",
        "80511000",
        "75251110",
    ),
    _sv(
        "Lärplattor till eleverna",
        "Alla elever i årskurs 1–3 ska ha en egen lärplatta i undervisningen, men dagens enheter "
        "är gamla och långsamma. Vi behöver nya plattor med skydd, appar för lärande och "
        "hantering av enheterna.",
        "30213200",
        "30213100",
        "48190000",
    ),
    _en(
        "Pest control in council housing",
        "Tenants in our housing company report rats in basements and bedbugs in flats. We need "
        "quick and safe pest control that does not use poisons harmful to children and pets.",
        "90922000",
        "90923000",
        "90921000",
    ),
    _sv(
        "Laddinfrastruktur för elbilar",
        "Kommunen byter till elbilar i hemtjänsten men det saknas laddplatser vid våra "
        "arbetsplatser och för invånarna. Vi vill bygga ut laddning för elfordon vid kommunala "
        "parkeringar.",
        "31158000",
        "31681500",
        "45310000",
        "34144900",
    ),
    _en(
        "Legal advice on procurement",
        "Our small municipality has no lawyer specialised in public procurement, and we are "
        "unsure how to write tender documents and handle appeals. We need legal advice and "
        "support in procurement matters.",
        "79100000",
        "79110000",
        "79111000",
        "79418000",
    ),
    _sv(
        "Ersätta oljepannor i kommunala fastigheter",
        "Flera av våra förskolor och gruppbostäder värms fortfarande med olja. Vi vill ersätta "
        "oljepannorna med fjärrvärme eller värmepumpar och minska utsläppen.",
        "42511110",
        "45331100",
        "09323000",
        "45232140",
    ),
    _en(
        "Meaningful days for adults with disabilities",
        "Adults with intellectual disabilities in our day centres want more meaningful activities "
        "and real work tasks. We want to work with social enterprises to create daily activities "
        "and work training that lead towards employment.",
        "85312100",
        "85311200",
        "85312510",
        "80530000",
    ),
    _sv(
        "Digitalisering av arkivet",
        "Kommunens arkiv är fullt av pappersakter från socialtjänsten och byggnadsnämnden som "
        "tar plats och är svåra att söka i. Vi vill skanna in handlingarna och få ett e-arkiv "
        "där de kan sökas.",
        "79999100",
        "92512000",
        "79995100",
        "48311000",
        "72252000",
    ),
    _en(
        "Swimming lessons for children",
        "Many children in our suburbs cannot swim when they leave primary school. We want "
        "swimming lessons for pupils and summer swimming schools, and better use of our indoor "
        "pool.",
        "92610000",
        "92620000",
        "80410000",
    ),
    _sv(
        "Bättre kollektivtrafik på landsbygden",
        "Busslinjerna till byarna går sällan och många äldre och unga utan bil kan inte ta sig "
        "till service och fritidsaktiviteter. Vi vill pröva anropsstyrd trafik och samåkning som "
        "komplement till linjetrafiken.",
        "60112000",
        "60140000",
        "60130000",
    ),
    _en(
        "Occupational health for employees",
        "Sick leave among our staff in elderly care and schools is high, mostly due to stress and "
        "back problems. We want occupational health services that work preventively with the work "
        "environment and help staff back to work after sick leave.",
        "85147000",
        "71317200",
        "85312500",
    ),
    _sv(
        "Möbler till nya förskolan",
        "Vi bygger en ny förskola och behöver stolar, bord, sängar för vila och förvaringsmöbler "
        "anpassade för små barn. Möblerna ska vara hållbara, lätta att rengöra och tillverkade av "
        "giftfria material.",
        "39161000",
        "39160000",
        "39100000",
        "39143116",
    ),
    _en(
        "Broadband in the countryside",
        "Households and businesses in our villages have slow and unreliable internet connections, "
        "which makes remote work and digital health care difficult. We want fibre to every "
        "village and better mobile coverage.",
        "45231600",
        "45314300",
        "72400000",
        "72411000",
        "64200000",
    ),
)

HELD_OUT: tuple[Labelled, ...] = (
    _en(
        "Graffiti on schools and underpasses",
        "Tags and graffiti appear on our schools, underpasses and bus shelters every week, and "
        "residents say it makes the area feel neglected. We want it removed within a day and "
        "surfaces protected so that new paint comes off easily.",
        "90690000",
        "45442100",
    ),
    _sv(
        "Asbest i skolbyggnader",
        "Vid renoveringen av två skolor från 1960-talet har vi hittat asbest i rör och mattor. "
        "Vi behöver hjälp att inventera, sanera och bortskaffa materialet säkert innan bygget "
        "kan fortsätta.",
        "90650000",
        "45262660",
    ),
    _en(
        "Assistive devices for elderly at home",
        "Elderly residents who want to keep living at home need walking frames, shower chairs "
        "and bed rails, but the loan store of aids is slow and items are not cleaned properly "
        "between users. We want a better service for lending, delivering and maintaining aids.",
        "33196000",
        "33196200",
        "33193000",
        "50400000",
    ),
    _sv(
        "Beredskap vid kris och elavbrott",
        "Vid långa strömavbrott och stormar har kommunen svårt att hålla igång äldreboenden och "
        "vattenverk. Vi behöver reservkraft och en bättre plan för krisberedskap och samverkan.",
        "31121000",
        "31120000",
        "75222000",
        "31154000",
    ),
    _en(
        "Youth centre activities",
        "Young people in our suburb have nowhere to go in the evenings and some drift into crime. "
        "We want a youth centre with activities, sports and music, run with local associations "
        "and social enterprises.",
        "85311300",
        "92330000",
        "92620000",
        "92300000",
    ),
    _sv(
        "Öppenvård för vuxna med missbruk",
        "Allt fler vuxna med alkohol- och narkotikaproblem står i kö till behandling. Vi vill "
        "erbjuda öppenvård med stöd i vardagen och uppföljning så att färre behöver placeras på "
        "behandlingshem.",
        "85312400",
        "85311000",
        "85312500",
        "85121270",
    ),
    _en(
        "Cyber security for municipal IT",
        "We had a ransomware attack last year that stopped payroll and the school systems for a "
        "week. We need better protection of our networks and servers, monitoring of threats and "
        "training for staff in IT security.",
        "48730000",
        "48732000",
        "72212730",
        "72800000",
        "80533100",
    ),
    _sv(
        "Lekplatser som är slitna",
        "Många av kommunens lekplatser är slitna och en del redskap har stängts av efter "
        "besiktning. Vi behöver nya gungor, klätterställningar och underlag som är säkra och "
        "tillgängliga för barn med funktionsnedsättning.",
        "37535200",
        "37535210",
        "37535220",
        "45112723",
    ),
    _en(
        "Speech and language support for preschool children",
        "Many preschool children have delayed language development and the waiting time for "
        "speech therapy is over a year. We want early screening and support for children's "
        "speech and language, for example through digital sessions with parents.",
        "85142000",
        "85140000",
        "85121291",
        "85312300",
    ),
    _sv(
        "Fönsterputs i kommunens lokaler",
        "Fönstren i våra skolor, förskolor och kontor putsas för sällan och ser smutsiga ut. Vi "
        "vill ha regelbunden putsning inne och ute, även på höga fönster, utan att verksamheten "
        "störs.",
        "90911300",
        "90911200",
    ),
    _en(
        "Video meetings instead of driving",
        "Our staff spend hours driving between the town hall and schools for meetings, and the "
        "few video rooms we have are hard to use. We want simple video meetings in all "
        "conference rooms and on laptops.",
        "32232000",
        "48515000",
    ),
    _sv(
        "Luftkvalitet i centrum",
        "Vid vissa gator i centrum överskrids gränsvärdena för partiklar och kvävedioxid. Vi "
        "vill mäta luften kontinuerligt och kunna visa invånarna hur den påverkas av trafiken.",
        "90731400",
        "90731800",
        "90731100",
        "38433200",
    ),
    _en(
        "Maintenance of municipal vehicles",
        "Our fleet of cars, vans and tractors is serviced at different garages, and vehicles "
        "stand idle for days waiting for repairs. We want one agreement for servicing, repairs "
        "and tyre changes with short lead times.",
        "50110000",
        "50111000",
        "50112000",
        "50116500",
    ),
    _sv(
        "Kultur för äldre på boenden",
        "Många äldre på våra boenden blir ensamma och får sällan uppleva musik, teater eller "
        "konst. Vi vill ordna kulturaktiviteter och föreställningar på boendena, gärna "
        "tillsammans med lokala kulturaktörer.",
        "79952100",
        "92310000",
        "92312000",
        "92300000",
    ),
    _en(
        "One number for residents' questions",
        "Residents call us and are transferred between departments many times before they reach "
        "the right person. We want a contact centre where most questions are answered at the "
        "first call, with a modern telephony system.",
        "79512000",
        "79510000",
        "64214200",
    ),
    _sv(
        "Parkering i centrum",
        "Det är ständigt fullt på parkeringarna i centrum och många parkerar fel vid skolorna. "
        "Vi vill få bättre koll på lediga platser, enkel betalning via mobilen och övervakning "
        "av felparkeringar.",
        "98351000",
        "98351110",
        "38730000",
        "34996300",
    ),
    _en(
        "Algal blooms in the lake",
        "Our lake has algal blooms every summer and the beaches have to close. We need to reduce "
        "the nutrients reaching the lake, restore the shores and monitor the water quality.",
        "90733000",
        "90733100",
        "90733200",
        "90713000",
    ),
    _sv(
        "Arbetskläder i vården",
        "Undersköterskor i hemtjänsten och på boendena tvättar sina arbetskläder hemma, vilket "
        "inte är hygieniskt. Vi vill ha arbetskläder som hyrs, tvättas och levereras av en "
        "leverantör.",
        "18100000",
        "18110000",
        "18130000",
        "98310000",
        "98311000",
    ),
    _en(
        "Early support for families",
        "Social services see more families where the children risk being placed outside the "
        "home. We want early, home-based support for parents, such as family coaching and "
        "parenting programmes, to keep children safely at home.",
        "85311300",
        "85312300",
        "85312000",
        "85320000",
    ),
    _sv(
        "Trädvård i parker och längs gator",
        "Många gamla träd i parkerna och längs gatorna är sjuka eller har döda grenar som kan "
        "falla ner. Vi behöver inventering av träden, beskärning och fällning av farliga träd, "
        "och plantering av nya.",
        "77340000",
        "77341000",
        "77211400",
        "77211500",
        "77310000",
    ),
)

LABELLED: tuple[Labelled, ...] = TUNING + HELD_OUT
