"""Cue words the disambiguation reads around a candidate name.

Two kinds of cue:

* **ties to the subject's world** (positive): the vocabulary of re-promotion
  of old adult content, sexual degradation, threats and doxxing, and of
  reporting or fighting harassment. A tracked person is, by construction,
  someone whose name draws exactly this vocabulary; a namesake librarian's
  does not.
* **another identity** (negative): roles and titles that make a name someone
  else (a dentist, a striker, a senator, a pet, a fictional character, an
  obituary), and words that turn a name into a place or an organisation
  (``... Street``, ``Calle ...``, ``Domaine ...``).

Terms are written naturally (accents, capitals) and folded when the matcher
is built; ``_`` joins the words of a phrase (multi-word terms match across any
spacing). English, Spanish, French, Portuguese and German; cue words match
on the ASCII key text, so in Arabic or other scripts around a Latin name the
name still matches but only Latin-script cue words count. Categories and
their weights live in ``weights``.
"""

from __future__ import annotations

ADULT = """
leak leaked leaks leaking full_video full_videos full_clip sex_tape tape tapes nude nudes naked xxx
porn porno pornstar porn_star adult_film adult_films adult_video adult_videos adult_industry
adult_content adult_star explicit uncensored onlyfans only_fans fansly download downloads watch_free
free_video link_in_bio link_below links_below reupload reuploads re-upload re-uploads reuploaded
reposted repost compilation compilations hd_video new_video old_video old_videos old_scenes
her_videos her_past old_clip old_clips her_clips full_scene full_scenes full_movie uncut 1080p
x-rated nsfw camgirl cam_girl lookalike deepfake deepfakes
ai_generated never_seen_before unreleased filtrado filtrada filtrados filtradas
video_completo videos_completos desnuda desnudo gratis sin_censura descargar descarga
cine_para_adultos pelicula_porno peliculas_porno contenido_para_adultos actriz_porno ex_actriz_porno
videos_viejos fuite fuitee fuitees video_complete videos_completes nue nues gratuit sans_censure
telecharger film_x films_x films_pour_adultes actrice_porno ex_actrice_porno ancienne_actrice
anciens_films vazou vazado vazados vazada video_completo videos_completos nua pelada gratis
sem_censura baixar filme_adulto filmes_adultos atriz_porno ex_atriz_porno videos_antigos nackt
kostenlos unzensiert pornos pornodarstellerin ex_pornodarstellerin erotikfilm alte_videos

"""

SEXUAL = """
slut sluts whore whores hoe thot skank bimbo cumslut cum dick cock tits boobs pussy private_show
sugar_daddy body_count puta putas zorra perra guarra salope salopes pute putes chienne vadia vadias
piranha safada cachorra schlampe hure nutte
"""

THREAT = """
kill killed killing kills die dies dying dead death murder murdered bullet bullets shoot shot gun
knife stab stabbed strangle burn rape raped hurt beat_you beat_her acid bleed watch_yourself
watch_your_back you_will_pay gets_what's_coming find_you find_her we_know_where lives_at live_at
her_address home_address her_number phone_number her_kids her_son her_daughter her_school her_car
her_employer her_boss her_workplace dox doxx doxxed doxxing get_her_fired fire_her flood_her
report_her
mass_report everyone_go let's_get matar muerte morir muere violar donde_vive direccion
su_casa su_numero sus_hijos tuer crever mourir balle violer ou_elle_habite adresse son_numero
ses_enfants matar morrer morra estuprar onde_ela_mora endereco o_numero_dela os_filhos_dela
toten umbringen sterben wo_sie_wohnt adresse
your_car your_house your_home your_family your_kids your_address what_car_you_drive where_you_live
you_know_what_to_do you_know_where_she_lives pull_up show_up
"""

ABUSE = """
pathetic loser joke trash garbage disgusting clown ugly stupid idiot worthless shameless disgrace
fraud fake hypocrite nobody_cares shut_up go_away ridicula ridiculo patetica basura asquerosa
estupida idiota verguenza payasa fea pathetique nulle ordure degoutante stupide idiote honte conne
moche patetica lixo nojenta estupida idiota vergonha palhaca feia ridicula erbarmlich mull ekelhaft
dumm idiotin schande
"""

ADVOCACY = """
harassment harassed harassing harasser harassers stalker stalking cyberstalking abuse online_abuse
without_consent without_her_consent never_consented non-consensual nonconsensual consent
revenge_porn takedown take_down taken_down dmca removal reported remove report_every former_adult
former_porn former_performer ex_performer past_career old_career left_the_industry acoso acosada
acosan sin_su_consentimiento consentimiento retirada harcelement harcelee harceleurs
sans_son_consentement consentement retrait assedio assediada sem_consentimento consentimento remocao
belastigung belastigt ohne_zustimmung einwilligung
reports reporting report_it report_them removed taken_down never_agreed didn't_consent
did_not_consent
without_permission without_her_permission non-consensual_sharing image-based_abuse
"""

ROLE = """
librarian teacher schoolteacher professor lecturer student pupil freshman sophomore
dentist doctor physician surgeon nurse pharmacist veterinarian vet lawyer attorney
paralegal judge prosecutor pastor priest reverend nun rabbi imam chaplain senator mayor
councilwoman councilmember councillor congresswoman governor candidate commissioner
sheriff officer detective firefighter coach athlete player striker midfielder defender
goalkeeper goalie pitcher catcher shortstop outfielder infielder quarterback swimmer
runner sprinter gymnast volleyball basketball soccer footballer golfer boxer wrestler cyclist skater
rower scientist researcher engineer architect accountant economist historian archaeologist astronaut
singer songwriter rapper violinist pianist guitarist drummer dj soprano mezzo bibliotecaria maestra
profesora estudiante alumna doctora medica enfermera farmaceutica veterinaria abogada jueza
pastora monja senadora alcaldesa concejala diputada candidata gobernadora policia bombera
entrenadora atleta jugadora delantera centrocampista portera arquera nadadora corredora
gimnasta voleibolista basquetbolista futbolista golfista boxeadora ciclista patinadora cientifica
investigadora ingeniera arquitecta contadora economista historiadora cantante cantautora pianista
violinista bibliothecaire enseignante institutrice professeure professeur etudiante eleve lyceenne
docteure medecin infirmiere pharmacienne veterinaire avocate juge procureure pasteure religieuse
senatrice maire conseillere deputee candidate gendarme policiere pompiere entraineuse athlete
joueuse attaquante defenseure gardienne nageuse coureuse gymnaste volleyeuse basketteuse
footballeuse golfeuse boxeuse cycliste patineuse scientifique chercheuse ingenieure architecte
comptable economiste historienne chanteuse pianiste violoniste bibliotecaria professora estudante
aluna doutora medica enfermeira farmaceutica veterinaria advogada juiza promotora pastora freira
senadora prefeita vereadora deputada candidata policial bombeira treinadora atleta jogadora atacante
zagueira goleira nadadora corredora ginasta jogadora_de_volei levantadora
futebolista golfista boxeadora ciclista patinadora cientista pesquisadora engenheira arquiteta
contadora economista historiadora cantora compositora pianista violinista bibliothekarin lehrerin
professorin studentin schulerin arztin zahnarztin arzt krankenschwester apothekerin tierarztin
anwaltin rechtsanwaltin richterin staatsanwaltin pfarrerin nonne senatorin burgermeisterin
abgeordnete kandidatin polizistin feuerwehrfrau trainerin athletin spielerin sturmerin verteidigerin
torhuterin schwimmerin laeuferin turnerin volleyballerin basketballerin fussballerin golferin
boxerin radfahrerin wissenschaftlerin forscherin ingenieurin architektin sangerin pianistin
dds dmd phd cpa esq rn jd mba lcsw
winger setter outside_hitter middle_blocker point_guard shooting_guard
power_forward center_back fullback full-back centre-back left_back right_back
ailier ailiere arriere demi-centre meneuse passeuse attaquant buteuse
extremo extrema armadora escolta alero opuesta colocadora libero
ponta levantadora armadora pivo
senior seniors junior juniors grad_student undergraduate undergrad
tandarts huisarts arts advocaat leraar lerares docent verpleegkundige makelaar studente wethouder
burgemeester raadslid dokter pelajar pelajar_sekolah guru doktor peguam jururawat defensa
zahnarzt lehrer anwalt
bachelier bacheliere laureat laureate graduate graduates graduada graduado formanda formando
abiturientin absolventin valedictorian salutatorian honoree
council_member city_councillor city_councilor courtiere courtier agente_immobiliare
agente_inmobiliaria
maklerin immobilienmaklerin judoka realty
realtor realtors real_estate_agent estate_agent broker mortgage_broker nursing nursing_student
plumber electrician hairdresser hairstylist barber florist baker barista bartender waitress cashier
receptionist secretary clerk mechanic carpenter farmer pilot flight_attendant soldier sergeant
lieutenant midwife paramedic optometrist chiropractor therapist counselor counsellor social_worker
insurance_agent notary auctioneer
inmobiliaria agente_inmobiliario peluquera panadera camarera enfermeria agente_immobilier
coiffeuse boulangere serveuse infirmiere_diplomee corretora cabeleireira padeira garconete
maklerin immobilienmaklerin friseurin backerin kellnerin pflegeschulerin
"""

HONORIFIC = """
cllr cllr. councillor dr dr. prof prof. sen sen. rev rev. judge coach officer mayor senator
councilwoman councilmember
sister sr. hon. honorable dra dra. profa profa. lic lic. licenciada doctora senadora alcaldesa
maitre la_juge sra sra. doutora vereadora frau_dr. prof.
"""

KIN = """
my_daughter my_niece my_granddaughter my_sister my_mom my_mother my_wife my_grandma my_aunt
our_daughter our_dog our_cat our_puppy our_kitten mi_hija mi_sobrina mi_nieta mi_hermana mi_madre
mi_esposa mi_perra mi_gata ma_fille ma_niece ma_petite-fille ma_soeur ma_mere ma_femme ma_chienne
ma_chatte minha_filha minha_sobrinha minha_neta minha_irma minha_mae minha_esposa minha_cachorra
meine_tochter meine_nichte meine_enkelin meine_schwester meine_mutter meine_frau unsere_hundin
"""

PET = """
dog dogs puppy pup puppies kitten kitty cat cats adopt adopted adoption shelter rescue breed groomer
paws leash fetch purr perro perra perrita cachorro gata gatita adopcion refugio chien chienne chiot
chaton adoption refuge cachorro cachorra gato gata filhote adocao abrigo hund hundin welpe
katze tierheim
kennel breeder best_in_show best_in_group litter sire terrier poodle retriever shepherd spaniel
"""

FICTION = """
character characters protagonist heroine villain fictional novel novels sitcom telenovela
plays_the_role played_by cast_as personaje protagonista novela personnage heroine roman feuilleton
personagem protagonista romance novela figur romanfigur heldin
"""

OBITUARY = """
obituary obituaries obit passed_away died_peacefully survived_by in_loving_memory funeral
memorial_service visitation interment beloved_wife beloved_mother beloved_grandmother rest_in_peace
esquela fallecio fallecimiento descanse_en_paz sepelio velorio necrologie deces decedee obseques
inhumation repose_en_paix obituario faleceu falecimento velorio sepultamento descanse_em_paz nachruf
verstorben traueranzeige beerdigung
"""

SPORT = """
scored scores goal goals hat-trick hat_trick assist assists touchdown touchdowns homer homers rbi
championship tournament league semifinal playoffs medal medals varsity roster
personal_best relay marco gol goles golazo torneo campeonato partido liga medalla
a_marque buts tournoi championnat finale medaille marcou gol gols torneio campeonato partida
medalha tor tore turnier meisterschaft medaille
points rebounds assists threes innings strikeouts rushing_yards kills blocks aces win wins won beat
beats defeated victory opener puntos rebotes asistencias triples bloqueos saque saques remate
set_point
victoria derrota vence gano pontos rebotes assistencias bloqueios saque vitoria derrota venceu
marcou
points rebonds passes_decisives victoire defaite s'impose buts punkte tore sieg niederlage gewinnt
"""

POLITICS = """
election elections ballot campaign voters votes vote district council legislature bill policy
eleccion elecciones campana votos distrito election elections campagne electeurs scrutin eleicao
eleicoes campanha votos eleitores wahl wahlen wahlkampf
"""

PLACE_AFTER = """
street st st. avenue ave ave. road rd rd. boulevard blvd drive lane ln ct park
parkway square plaza bridge beach trail highway station school elementary middle_school high_school
academy college university library center centre hall stadium arena foundation institute
hospital clinic church chapel winery wines vineyard vineyards ranch
county city township town village valley river lake bay point heights hills
"""

PLACE_BEFORE = """
calle avenida av. avda paseo plaza rua praca travessa rue boulevard allee impasse escuela
colegio instituto liceo escola colegio ecole lycee domaine chateau bodega vinedo quinta
weingut
"""

FUNCTION_BEFORE = """
the a an this that these those in at on to from el la los las un una de del en al por con le la
les un une de des du au aux en o a os as um uma de do da dos das no na nos nas em ao der die das dem
den ein eine im am zum zur von vom
"""


MUSIC = """
album albums ep mixtape single_out new_single setlist tour_dates concert concerts gig
nuevo_sencillo disco gira concierto nouvel_album concert novo_single turne show_de_lancamento
neues_album konzert tournee samba pagode sertanejo
"""
# Words that may stand between a name and a role in apposition.
APPOSITION = """
a an the our my your their his her local new former longtime retired beloved veteran
head chief senior junior assistant deputy lead acting interim associate principal staff
award-winning children's branch school public city county state regional
is was has been who named elected appointed crowned
un una el la los las nuestra nuestro es era nombrada elegida
un une le la les notre est etait nommee elue
um uma o a os as nossa nosso e era nomeada eleita
ein eine der die das unsere ist war ernannt gewahlt
"""

# Words that may stand between a role and the name it belongs to ("la conseillère
# municipale Awa Diop", "city council member Ana Lee", "assistant head coach ...").
ROLE_MODIFIERS = """
municipal municipale municipales city town county state regional local provincial district
senior junior head chief assistant deputy former ex interim acting school council
comunale regionale provinciale municipala regional adjointe adjoint stadtische
"""

CATEGORIES = {
    "adult": ADULT,
    "sexual": SEXUAL,
    "threat": THREAT,
    "abuse": ABUSE,
    "advocacy": ADVOCACY,
    "role": ROLE,
    "honorific": HONORIFIC,
    "kin": KIN,
    "pet": PET,
    "fiction": FICTION,
    "obituary": OBITUARY,
    "sport": SPORT,
    "politics": POLITICS,
    "music": MUSIC,
    "place_after": PLACE_AFTER,
    "place_before": PLACE_BEFORE,
    "function_before": FUNCTION_BEFORE,
}


def cue_terms() -> dict[str, list[str]]:
    """Category → terms. In the blocks, ``_`` joins the words of one phrase."""
    return {
        category: [t.replace("_", " ") for t in block.split()]
        for category, block in CATEGORIES.items()
    }
