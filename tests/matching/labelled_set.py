"""A small labelled set of Swedish public-sector needs and supplier solutions.

Modelled on the cases in the source document (VR training for care staff, digital escort,
citizen portal, sustainable purchasing) and on common municipal innovation procurements.
Needs are written as problems, the way a buyer would; solutions as a supplier would
describe them, in their own words (some in English). For each need, RELEVANT names the
solutions a procurement officer would want to see; judged by hand, before any ranking was
run, and not tuned afterwards.
"""

from __future__ import annotations

from matching.domain.model import NeedProfile, SolutionProfile

SOLUTIONS: list[SolutionProfile] = [
    SolutionProfile(
        "s01",
        "virotea",
        "ViroteaED",
        "VR-utbildning för vård- och omsorgspersonal. Med VR-glasögon upplever medarbetaren "
        "brukarens verklighet, till exempel demens, nedsatt syn eller hörsel, och tränar "
        "bemötande i realistiska scenarier. Färdiga kurser och uppföljning för chefer.",
        ("80500000-9", "80530000"),
        ("SE",),
        "market-ready",
        frozenset({"social-enterprise"}),
        adoption_count=26,
    ),
    SolutionProfile(
        "s02",
        "empatilabbet",
        "Demenssimulatorn",
        "Upplevelsebaserad träning där omsorgspersonal i 20 minuter får känna hur det är att "
        "leva med demenssjukdom. Simulering med ljud, ljus och handskar, följt av reflektion "
        "i arbetsgruppen.",
        ("80530000",),
        ("17", "18"),
        "pilot",
    ),
    SolutionProfile(
        "s03",
        "lärportalen",
        "Omsorgsakademin",
        "Webbaserad kompetensutveckling för undersköterskor och vårdbiträden: korta "
        "kurser i mobilen om hygien, läkemedel, demens och dokumentation, med intyg.",
        ("80420000", "80500000"),
        ("SE",),
        "market-ready",
        adoption_count=4,
    ),
    SolutionProfile(
        "s04",
        "ledsaga",
        "Ledsaga Live",
        "Digital ledsagning: personer med funktionsnedsättning får stöd av en ledsagare via "
        "videosamtal i mobilen när de reser, handlar eller går till aktiviteter. Ökar "
        "självständigheten och minskar behovet av fysisk ledsagare.",
        ("85312000", "72000000"),
        ("17",),
        "pilot",
        adoption_count=2,
    ),
    SolutionProfile(
        "s05",
        "tryggresa",
        "Trygg Resa",
        "App för personer med intellektuell funktionsnedsättning som vill resa själva med "
        "kollektivtrafik. Steg-för-steg-instruktioner, GPS-position och larm till en "
        "stödperson om något går fel.",
        ("48000000", "85312000"),
        ("SE",),
        "market-ready",
        adoption_count=9,
    ),
    SolutionProfile(
        "s06",
        "etjänstbolaget",
        "Plattform för e-tjänster",
        "Plattform där kommunen bygger egna e-tjänster utan programmering: formulär, "
        "e-legitimation, ärendehantering och integration mot verksamhetssystem. Invånarna "
        "följer sina ärenden på Mina sidor.",
        ("72000000", "48000000"),
        ("SE",),
        "market-ready",
        frozenset({"accessibility"}),
        adoption_count=40,
    ),
    SolutionProfile(
        "s07",
        "medborgarnytt",
        "Medborgarportalen",
        "A citizen portal for municipalities: one entry point with BankID login, personal "
        "pages, case tracking and messages from the municipality, built for accessibility.",
        ("72400000", "48200000"),
        ("SE",),
        "pilot",
        frozenset({"accessibility"}),
        adoption_count=1,
    ),
    SolutionProfile(
        "s08",
        "chattkommun",
        "Kommunchatten",
        "AI-chattbot som svarar invånare dygnet runt om bygglov, avfall, skola och "
        "barnomsorg, och lämnar över till kontaktcenter vid behov.",
        ("72000000",),
        ("SE",),
        "market-ready",
        adoption_count=12,
    ),
    SolutionProfile(
        "s09",
        "klimatkollen",
        "Inköpsanalys för klimatet",
        "Analys av kommunens inköp och fakturor som visar klimatpåverkan per kategori och "
        "leverantör. Ger underlag för hållbara inköp, prioriterade upphandlingar och "
        "uppföljning av klimatmål.",
        ("79400000", "72300000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=15,
    ),
    SolutionProfile(
        "s10",
        "hållbarakrav",
        "Hållbarhetsuppföljning av leverantörer",
        "Tjänst för att ställa och följa upp hållbarhetskrav i upphandlade avtal: "
        "självskattning, granskning av leverantörer och rapporter om miljö- och sociala krav.",
        ("79418000",),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=7,
    ),
    SolutionProfile(
        "s11",
        "svinnkollen",
        "Svinnvågen",
        "Våg och app för skolkök som mäter tallrikssvinn och serveringssvinn varje dag. "
        "Eleverna ser resultatet på en skärm i matsalen; köket får statistik per maträtt.",
        ("38300000", "55524000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=30,
    ),
    SolutionProfile(
        "s12",
        "menyplan",
        "Klimatsmart meny",
        "Planeringsverktyg för offentliga måltider: recept, näringsberäkning, "
        "klimatavtryck per portion och beställning av råvaror för skolor och äldreboenden.",
        ("48000000", "55520000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=22,
    ),
    SolutionProfile(
        "s13",
        "vinterväg",
        "Vinterväg Optimering",
        "Ruttoptimering och GPS-uppföljning för plogbilar och sandbilar. Entreprenörens "
        "fordon rapporterar position och åtgärder i realtid så att kommunen kan följa "
        "snöröjningen gata för gata.",
        ("90620000", "72000000"),
        ("25", "24"),
        "market-ready",
        adoption_count=6,
    ),
    SolutionProfile(
        "s14",
        "halkvarnaren",
        "Halkvarnaren",
        "Vägsensorer och väderprognoser som förutser halka på gång- och cykelvägar, så "
        "att halkbekämpning kan sättas in innan olyckorna sker.",
        ("90630000", "38100000"),
        ("SE",),
        "pilot",
    ),
    SolutionProfile(
        "s15",
        "omsorgsplan",
        "Hemtjänstplaneraren",
        "Schemaläggning och ruttplanering för hemtjänst: besök, kompetens, kontinuitet och "
        "restider optimeras automatiskt; personalen ser sina pass i mobilen.",
        ("48000000", "72000000"),
        ("SE",),
        "market-ready",
        adoption_count=18,
    ),
    SolutionProfile(
        "s16",
        "bemanna",
        "Bemanningsappen",
        "App för korttidsbemanning i vård och omsorg: lediga pass publiceras och timvikarier "
        "bokar sig själva. Minskar tiden chefer lägger på att ringa in personal.",
        ("79620000", "48000000"),
        ("SE",),
        "market-ready",
        adoption_count=11,
    ),
    SolutionProfile(
        "s17",
        "seniorsurf",
        "Enkla surfplattan",
        "Förenklad surfplatta för äldre med videosamtal med ett tryck, digitala "
        "aktiviteter och kontakt med anhöriga. Motverkar ensamhet och isolering.",
        ("30213200", "85311100"),
        ("SE",),
        "market-ready",
        adoption_count=8,
    ),
    SolutionProfile(
        "s18",
        "grannskap",
        "Vänträffar",
        "Digital plattform som matchar frivilliga med äldre som vill ha sällskap: "
        "promenader, fika och gemensamma aktiviteter i närområdet.",
        ("98000000", "85311100"),
        ("12", "14", "01"),
        "pilot",
        frozenset({"social-enterprise"}),
    ),
    SolutionProfile(
        "s19",
        "nattro",
        "Nattro tillsyn",
        "Digital nattillsyn med sensor som registrerar rörelse, andning och uppstigning. "
        "Personalen larmas vid behov i stället för att väcka brukaren vid fysiska besök.",
        ("33190000", "85311100"),
        ("SE",),
        "market-ready",
        adoption_count=25,
    ),
    SolutionProfile(
        "s20",
        "fallvakt",
        "Fallvakten",
        "Radarbaserad falldetektering för särskilt boende och ordinärt boende. Larmar "
        "personal vid fall, utan kamera och utan bärbar larmknapp.",
        ("33190000",),
        ("SE",),
        "pilot",
        adoption_count=3,
    ),
    SolutionProfile(
        "s21",
        "sociala tvätten",
        "Sociala Tvätten",
        "Arbetsintegrerande socialt företag som sköter tvätt och städning åt kommunala "
        "verksamheter. Människor långt från arbetsmarknaden får anställning och handledning.",
        ("98310000", "90910000"),
        ("17",),
        "market-ready",
        frozenset({"social-enterprise"}),
        adoption_count=5,
    ),
    SolutionProfile(
        "s22",
        "returmöbler",
        "Möbelåterbruket",
        "Återbruk av kontorsmöbler: vi hämtar, renoverar och levererar möbler till "
        "kommunens lokaler. Verksamheten drivs som arbetsintegrerande socialt företag.",
        ("39100000", "50850000"),
        ("17", "18"),
        "market-ready",
        frozenset({"social-enterprise", "sustainability"}),
        adoption_count=3,
    ),
    SolutionProfile(
        "s23",
        "kontrollrummet",
        "Avtalskontroll på plats",
        "Oanmälda kontroller på plats hos entreprenörer: fordon, lönelistor, "
        "arbetsvillkor och skyddsutrustning granskas och avvikelser rapporteras till "
        "beställaren.",
        ("79212000", "71630000"),
        ("SE",),
        "market-ready",
        frozenset({"on-site-follow-up"}),
        adoption_count=9,
    ),
    SolutionProfile(
        "s24",
        "personalliggaren",
        "Elektronisk personalliggare",
        "Digital personalliggare för bygg- och anläggningsarbetsplatser: in- och utcheckning "
        "med ID06-kort, kontroll mot underentreprenörer och export till Skatteverket.",
        ("48000000", "45000000"),
        ("SE",),
        "market-ready",
        frozenset({"on-site-follow-up"}),
        adoption_count=50,
    ),
    SolutionProfile(
        "s25",
        "lumen",
        "Lumen Smart Streetlight",
        "LED street lighting with connected sensors: each lamp reports faults and energy use, "
        "and dims when streets are empty. Maintenance crews get predicted failures before "
        "lamps go dark.",
        ("34928500", "50232100"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=14,
    ),
    SolutionProfile(
        "s26",
        "sakernas",
        "Tillgångsregistret IoT",
        "IoT-plattform för kommunala anläggningar: sensorer på pumpar, belysning och "
        "lekplatser rapporterar status så att underhåll kan planeras i förväg.",
        ("72000000", "50000000"),
        ("SE",),
        "pilot",
    ),
    SolutionProfile(
        "s27",
        "värmeai",
        "Smart värmestyrning",
        "AI-styrning av värme och ventilation i skolor och förvaltningsbyggnader utifrån "
        "väderprognos och beläggning. Sänker energiförbrukningen 10–20 procent.",
        ("71314000", "42500000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=19,
    ),
    SolutionProfile(
        "s28",
        "energikoll",
        "Energiportalen",
        "Mätning och uppföljning av el, värme och vatten per fastighet med avvikelselarm "
        "och rapporter för energisamordnare.",
        ("71314000", "48000000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=10,
    ),
    SolutionProfile(
        "s29",
        "fyllnad",
        "Sensorer för avfallskärl",
        "Fyllnadsgradssensorer i avfallskärl och containrar; hämtningsrutter planeras "
        "efter verkligt behov i stället för fasta turer.",
        ("90511000", "38000000"),
        ("SE",),
        "market-ready",
        frozenset({"sustainability"}),
        adoption_count=7,
    ),
    SolutionProfile(
        "s30",
        "återvinna",
        "Återvinningscentral Bokning",
        "Bokningssystem för besök på återvinningscentraler med köinformation och "
        "registrering av fordon.",
        ("48000000", "90500000"),
        ("SE",),
        "pilot",
    ),
    SolutionProfile(
        "s31",
        "tolkapp",
        "ClassTalk Interpreter",
        "Real-time speech translation for classrooms and parent meetings in 40 languages, "
        "so that newly arrived pupils and their families can follow lessons and school "
        "information.",
        ("79540000", "80100000"),
        ("SE",),
        "market-ready",
        adoption_count=6,
    ),
    SolutionProfile(
        "s32",
        "modersmål",
        "Modersmålsportalen",
        "Digitala lektioner i modersmål och studiehandledning på modersmålet för "
        "nyanlända elever i grundskolan, med behöriga lärare på distans.",
        ("80100000", "80420000"),
        ("SE",),
        "market-ready",
        adoption_count=16,
    ),
    SolutionProfile(
        "s33",
        "meröppet",
        "Meröppet bibliotek",
        "Självbetjäning i biblioteket utanför bemannade tider: inpassering med lånekort "
        "och kod, kameraövervakning, styrning av ljus och larm.",
        ("92511000", "35120000"),
        ("SE",),
        "market-ready",
        adoption_count=35,
    ),
    SolutionProfile(
        "s34",
        "signera",
        "Digital signering av läkemedel",
        "Digital signering av läkemedelsöverlämning och insatser i hemtjänsten via mobil; "
        "avvikelser och missade doser syns direkt för sjuksköterskan.",
        ("48180000", "85000000"),
        ("SE",),
        "market-ready",
        adoption_count=21,
    ),
    SolutionProfile(
        "s35",
        "dosrobot",
        "Läkemedelsrobot",
        "Automatisk läkemedelsdispenser i hemmet som påminner och delar ut rätt dos vid "
        "rätt tid och larmar hemtjänsten om en dos inte tas.",
        ("33190000", "85000000"),
        ("SE",),
        "market-ready",
        adoption_count=13,
    ),
    SolutionProfile(
        "s36",
        "skolskjuts",
        "Skolskjutsplaneraren",
        "Planering av skolskjuts: elevernas adresser, skoltider och fordon ger optimerade "
        "linjer, och vårdnadshavare får besked om hållplats och tider i en app.",
        ("60130000", "48000000"),
        ("SE",),
        "market-ready",
        adoption_count=27,
    ),
    SolutionProfile(
        "s37",
        "ungchatt",
        "Chatta anonymt",
        "Anonym chatt där unga med oro, ångest eller nedstämdhet får prata med kuratorer "
        "och psykologer på kvällar och helger.",
        ("85312300", "85121270"),
        ("SE",),
        "market-ready",
        adoption_count=9,
    ),
    SolutionProfile(
        "s38",
        "jämlikt",
        "Jämställdhetsanalys i upphandling",
        "Rådgivning och verktyg för jämställd upphandling: könsuppdelad analys av branschen, "
        "krav och mervärden i mansdominerade branscher som bygg, transport och "
        "fastighetsskötsel.",
        ("79411000", "79418000"),
        ("SE",),
        "market-ready",
        frozenset({"gender-equality"}),
        adoption_count=4,
    ),
    SolutionProfile(
        "s39",
        "parkera",
        "ParkeraEnkelt",
        "Betala parkering med mobilen, förläng tiden på distans och få kvitto direkt.",
        ("48000000", "98351000"),
        ("SE",),
        "market-ready",
        adoption_count=60,
    ),
    SolutionProfile(
        "s40",
        "drönarsyn",
        "Drönarinspektion",
        "Inspektion av tak, fasader och broar med drönare; bilder analyseras med AI för att "
        "hitta skador och planera underhåll av fastigheter.",
        ("71631000", "50700000"),
        ("SE",),
        "market-ready",
        adoption_count=5,
    ),
]

NEEDS: list[NeedProfile] = [
    NeedProfile(
        "n01",
        "karlstad",
        "Upplev min verklighet: utbildning för vårdpersonal",
        "Vår vård- och omsorgspersonal behöver förstå hur det är att leva med demens, "
        "nedsatt syn och hörsel. Teoretiska utbildningar ger inte den förståelsen. Vi vill "
        "hitta en lösning där personalen själv upplever brukarens verklighet.",
        ("80500000",),
        "1780",
        "validation",
        frozenset({"social-enterprise"}),
    ),
    NeedProfile(
        "n02",
        "karlstad",
        "Digital ledsagning",
        "Personer med funktionsnedsättning som har beviljats ledsagning får vänta länge på "
        "en ledsagare och blir beroende av andra. Vi söker sätt att ge stöd på distans så "
        "att de kan resa och delta i aktiviteter mer självständigt.",
        ("85312000",),
        "1780",
        "co-creation",
    ),
    NeedProfile(
        "n03",
        "hammarö",
        "Digital medborgarportal",
        "Invånarna ringer och mejlar för att få veta hur deras ärenden går. Vi vill samla "
        "kommunens e-tjänster på ett ställe där man loggar in, lämnar ansökningar och "
        "följer sina ärenden.",
        ("72000000",),
        "1761",
        "procurement",
    ),
    NeedProfile(
        "n04",
        "helsingborg",
        "Hållbar handling",
        "Vi vet inte vilka av våra inköp som står för den största klimatpåverkan. Vi behöver "
        "underlag för att prioritera hållbara inköp och följa upp våra klimatmål.",
        ("79400000",),
        "1283",
        "implementation",
        frozenset({"sustainability"}),
    ),
    NeedProfile(
        "n05",
        "umeå",
        "Minska matsvinnet i skolrestaurangerna",
        "Mycket mat slängs i skolornas matsalar. Köken vet inte vilka rätter som blir kvar "
        "och eleverna ser inte hur mycket som slängs.",
        ("55524000",),
        "2480",
        "hypothesis",
        frozenset({"sustainability"}),
    ),
    NeedProfile(
        "n06",
        "luleå",
        "Effektivare snöröjning",
        "Invånarna klagar på att gator och cykelvägar plogas sent och att halka inte "
        "bekämpas i tid. Vi kan inte följa upp vad entreprenören gjort.",
        ("90620000",),
        "2580",
        "procurement",
    ),
    NeedProfile(
        "n07",
        "örebro",
        "Planering i hemtjänsten",
        "Samordnarna lägger flera timmar om dagen på att pussla hemtjänstens scheman för "
        "hand. Restiderna blir långa och brukarna möter för många olika medarbetare.",
        ("85000000", "48000000"),
        "1880",
        "validation",
    ),
    NeedProfile(
        "n08",
        "gävle",
        "Ofrivillig ensamhet bland äldre",
        "Många äldre som bor hemma känner sig ensamma och isolerade, särskilt efter att "
        "partnern gått bort. Hur kan vi skapa fler kontakter och aktiviteter?",
        ("85311100",),
        "2180",
        "hypothesis",
    ),
    NeedProfile(
        "n09",
        "växjö",
        "Tillsyn på natten utan att väcka",
        "Nattpersonalen går tillsynsrundor i särskilt boende och väcker brukarna. Fall "
        "upptäcks ändå ibland först på morgonen.",
        ("85311100",),
        "0780",
        "co-creation",
    ),
    NeedProfile(
        "n10",
        "karlstad",
        "Tvätt och städ med sociala företag",
        "Vi vill upphandla tvätt och städning så att personer långt från arbetsmarknaden "
        "får jobb, i samverkan med arbetsintegrerande sociala företag.",
        ("98310000", "90910000"),
        "1780",
        "procurement",
        frozenset({"social-enterprise"}),
    ),
    NeedProfile(
        "n11",
        "härnösand",
        "Kontroll av arbetsvillkor hos entreprenörer",
        "Vi misstänker att underentreprenörer i våra bygg- och transportavtal inte följer "
        "villkoren. Vi behöver kontrollera fordon, lönelistor och skyddsutrustning på plats.",
        ("71630000",),
        "2280",
        "implementation",
        frozenset({"on-site-follow-up"}),
    ),
    NeedProfile(
        "n12",
        "göteborg",
        "Predictive maintenance of street lighting",
        "Broken street lights are reported by residents days after they fail, and energy "
        "use is high at night when streets are empty. We want to find faults early and "
        "save energy.",
        ("50232100",),
        "1480",
        "validation",
        frozenset({"sustainability"}),
        language="en",
    ),
    NeedProfile(
        "n13",
        "västerås",
        "Lägre energiförbrukning i kommunens fastigheter",
        "Skolor och förvaltningsbyggnader värms upp även när de står tomma. Vi behöver "
        "mäta och styra värme och ventilation för att sänka energiförbrukningen.",
        ("71314000",),
        "1980",
        "co-creation",
        frozenset({"sustainability"}),
    ),
    NeedProfile(
        "n14",
        "uppsala",
        "Avfallshämtning efter behov",
        "Sopbilarna kör fasta turer och tömmer halvfulla kärl medan andra svämmar över. "
        "Vi vill hämta avfall när kärlen faktiskt är fulla.",
        ("90511000",),
        "0380",
        "validation",
        frozenset({"sustainability"}),
    ),
    NeedProfile(
        "n15",
        "malmö",
        "Language support for newly arrived pupils",
        "Newly arrived pupils cannot follow lessons in Swedish, and teachers struggle to "
        "talk with their parents. We need support in the pupils' own languages.",
        ("80100000",),
        "1280",
        "validation",
        language="en",
    ),
    NeedProfile(
        "n16",
        "östersund",
        "Längre öppettider på biblioteken",
        "Filialbiblioteken har bara öppet några timmar i veckan. Invånarna vill kunna låna "
        "och plugga på kvällar och helger utan att vi har personal på plats.",
        ("92511000",),
        "2380",
        "hypothesis",
    ),
    NeedProfile(
        "n17",
        "linköping",
        "Säkrare läkemedelshantering i hemtjänsten",
        "Signeringslistor på papper försvinner och missade doser upptäcks för sent. "
        "Sjuksköterskorna har ingen överblick över läkemedelsgivningen hos brukarna.",
        ("85000000",),
        "0580",
        "procurement",
    ),
    NeedProfile(
        "n18",
        "kiruna",
        "Planering av skolskjutsar",
        "Skolskjutsarna planeras i kalkylblad och ändras ofta när familjer flyttar. "
        "Vårdnadshavare vet inte när bussen kommer.",
        ("60130000",),
        "2584",
        "procurement",
    ),
    NeedProfile(
        "n19",
        "stockholm",
        "Stöd till unga med psykisk ohälsa",
        "Allt fler unga mår dåligt men söker inte hjälp hos skolkuratorn. Vi vill nå unga "
        "med oro och ångest där de är, även kvällstid och anonymt.",
        ("85312300",),
        "0180",
        "hypothesis",
    ),
    NeedProfile(
        "n20",
        "jönköping",
        "Jämställd upphandling i mansdominerad bransch",
        "I upphandlingar av bygg och fastighetsskötsel är nästan alla anställda män. Vi vill "
        "ställa krav och ge mervärde för jämställdhet hos leverantörerna.",
        ("79418000",),
        "0680",
        "co-creation",
        frozenset({"gender-equality"}),
    ),
]

RELEVANT: dict[str, frozenset[str]] = {
    "n01": frozenset({"s01", "s02", "s03"}),
    "n02": frozenset({"s04", "s05"}),
    "n03": frozenset({"s06", "s07"}),
    "n04": frozenset({"s09", "s10"}),
    "n05": frozenset({"s11", "s12"}),
    "n06": frozenset({"s13", "s14"}),
    "n07": frozenset({"s15"}),
    "n08": frozenset({"s17", "s18"}),
    "n09": frozenset({"s19", "s20"}),
    "n10": frozenset({"s21"}),
    "n11": frozenset({"s23", "s24"}),
    "n12": frozenset({"s25", "s26"}),
    "n13": frozenset({"s27", "s28"}),
    "n14": frozenset({"s29"}),
    "n15": frozenset({"s31", "s32"}),
    "n16": frozenset({"s33"}),
    "n17": frozenset({"s34", "s35"}),
    "n18": frozenset({"s36"}),
    "n19": frozenset({"s37"}),
    "n20": frozenset({"s38"}),
}
