"""The demo library package in Spanish and French: course title and description, lesson titles and texts."""

from __future__ import annotations

from typing import Any

PHISHING_ES = """\
El phishing es un mensaje que se hace pasar por alguien de confianza para que hagas clic en un enlace, \
abras un archivo adjunto, pagues una factura o escribas tu contraseña en una página falsa. Sigue siendo la \
forma más habitual de entrar en una organización, porque ataca a las personas y no a las máquinas, y las \
personas están ocupadas.

La mayoría de los mensajes de phishing comparten algunas señales delatoras. Tómate cinco segundos para \
buscarlas antes de actuar:

- **Urgencia o miedo.** «Tu cuenta se cerrará hoy», «el director general necesita este pago en la próxima
  hora». La presión está ahí para que no pienses.
- **Un remitente casi correcto.** `payroll@acme-payments.co` en lugar de `payroll@acme.example`, o un
  nombre que conoces junto a una dirección que no conoces.
- **Enlaces que llevan a otro sitio.** En un ordenador, pasa el ratón por encima del enlace y lee la
  dirección real antes de hacer clic. En un móvil, mantén pulsado el enlace para ver la vista previa.
- **Archivos adjuntos inesperados**, sobre todo facturas, avisos de envío, mensajes de voz y cualquier cosa
  que te pida «habilitar contenido» o «habilitar macros».
- **Peticiones para cambiar cómo se mueve el dinero**: nuevos datos bancarios de un proveedor, tarjetas
  regalo o una transferencia que debe mantenerse en secreto.

El phishing no solo llega por correo electrónico. Los mismos trucos llegan por SMS («smishing»), por
teléfono («vishing»), por herramientas de chat y de colaboración, e incluso como códigos QR en carteles o
paquetes.

Cuando algo no te cuadre, **compruébalo por un canal en el que ya confíes**: llama a la persona al número
del directorio de la empresa, o abre el sitio web escribiendo tú mismo la dirección. No uses nunca el
teléfono ni el enlace del mensaje sospechoso. Un compañero de verdad nunca se molestará por la comprobación.

¿Y si ya has hecho clic? No te asustes y no lo ocultes. Infórmalo enseguida (consulta la lección sobre cómo
informar): los minutos justo después de un clic son cuando el equipo de seguridad más puede ayudar.
"""

PASSWORDS_ES = """\
Una contraseña protege tanto como su hábito más débil. Los atacantes rara vez «adivinan» contraseñas una a \
una: prueban millones de contraseñas filtradas de otros sitios web contra tus cuentas, y prueban primero \
los patrones más comunes: nombres, estaciones, años y secuencias del teclado como `Summer2024!`.

La mejor protección es una **frase de contraseña**: varias palabras aleatorias y sin relación entre sí,
como `lantern cobalt pickle harbour`. Es larga, lo que la hace fuerte, y es una imagen que puedes recordar.
La longitud importa mucho más que cambiar letras por símbolos: cuatro o cinco palabras aleatorias superan
siempre a ocho caracteres de «complejidad».

Tres reglas mantienen tus cuentas a salvo:

1. **Una cuenta, una contraseña.** No reutilices nunca una contraseña, y menos aún la del trabajo en un
   sitio personal. Cuando se filtra un sitio, las contraseñas reutilizadas abren todas las demás puertas.
2. **Usa un gestor de contraseñas.** Deja que cree y recuerde contraseñas largas y aleatorias para todo lo
   demás, de modo que la única frase que tengas que memorizar sea la que abre el gestor.
3. **Activa la autenticación multifactor (MFA)** siempre que se ofrezca. Aunque se filtre una contraseña,
   el atacante sigue necesitando tu teléfono o tu llave de seguridad.

Desconfía de las solicitudes de MFA que no hayas iniciado tú. Si el teléfono te pide aprobar un inicio de
sesión que no estás haciendo en ese momento, **recházalo e infórmalo**: alguien tiene tu contraseña. No le
leas nunca un código de MFA a nadie que te llame, diga quien diga que es; nuestro equipo de TI nunca te lo
pedirá.

Por último, cambia una contraseña cuando tengas motivos para pensar que se ha expuesto, no según un
calendario fijo. Los cambios obligatorios frecuentes empujan a usar patrones previsibles, que es justo con
lo que cuentan los atacantes.
"""

REPORTING_ES = """\
Los incidentes de seguridad rara vez los detecta primero la tecnología. Los detectan personas que notan que \
algo no va del todo bien y que lo dicen rápido. Informar no es admitir un fallo: es lo más útil que puedes \
hacer.

Infórmalo cuando, por ejemplo:

- hayas hecho clic en un enlace o abierto un archivo adjunto del que ahora dudas;
- hayas escrito tu contraseña en una página que resultó ser falsa;
- hayas perdido tu dispositivo, te lo hayan robado o se comporte de forma extraña (ventanas emergentes,
  programas nuevos, un equipo muy lento);
- hayas recibido una solicitud de MFA o un correo de restablecimiento de contraseña que no pediste;
- se hayan enviado datos personales o de clientes a la persona equivocada, o estén donde no deberían.

**Infórmalo enseguida, por el canal oficial**: el botón «Informar de phishing» de tu programa de correo si
lo tienes, el servicio de asistencia de TI, o tu responsable si no puedes contactar con ninguno de los dos.
Cuenta lo que sepas: qué ha pasado, cuándo, en qué dispositivo y qué has hecho ya. Las capturas de pantalla
ayudan; reenviar el mensaje sospechoso como archivo adjunto ayuda todavía más.

Después, **no intentes arreglarlo tú**. No borres las pruebas, no ejecutes herramientas de limpieza que
hayas encontrado en internet y no avises a toda la empresa con «responder a todos»: el equipo de seguridad
decidirá qué hay que hacer y quién tiene que saberlo. Si te piden que desconectes un dispositivo de la red,
hazlo y déjalo encendido.

Nadie recibe culpas por informar de buena fe. Los incidentes que hacen daño de verdad son los que se quedan
en silencio durante días. Hablar en los primeros minutos convierte la mayoría en nada.
"""

TRANSCRIPT_ES = """\
[Narrador] Es lunes por la mañana. María, que trabaja en contabilidad, recibe un correo de un proveedor al \
que conoce bien. Dice que han cambiado sus datos bancarios y le pide que pague la factura de esta semana en \
la nueva cuenta.

[Narrador] El logotipo es correcto, el tono es cordial y el número de factura coincide con uno que está \
esperando. Pero la dirección del remitente termina en «-billing.co» en lugar del dominio habitual del \
proveedor, y el mensaje le pide que mantenga el cambio en secreto «por motivos de auditoría».

[María] Qué raro. Nunca nos habían pedido algo así.

[Narrador] En lugar de responder, María busca el teléfono del proveedor en el sistema de compras y llama a \
su contacto de siempre. El proveedor no ha cambiado de banco. El correo era falso.

[Narrador] María usa el botón Informar de phishing, y el equipo de seguridad bloquea al remitente para \
todos. Esa misma mañana, otros tres compañeros habían recibido el mismo mensaje.

[Narrador] Recuerda: comprueba el remitente, desconfía de la urgencia y del secreto, verifica por un canal \
en el que ya confíes e informa de todo lo sospechoso. Cinco segundos de duda pueden ahorrar mucho.
"""

PHISHING_FR = """\
L'hameçonnage (phishing) est un message qui se fait passer pour quelqu'un de confiance afin que vous \
cliquiez sur un lien, ouvriez une pièce jointe, payiez une facture ou saisissiez votre mot de passe sur une \
fausse page. C'est toujours le moyen le plus courant de pénétrer dans une organisation, parce qu'il vise \
les personnes plutôt que les machines — et les personnes sont occupées.

La plupart des messages d'hameçonnage présentent quelques signes révélateurs. Prenez cinq secondes pour \
les chercher avant d'agir :

- **L'urgence ou la peur.** « Votre compte sera fermé aujourd'hui », « le PDG a besoin de ce paiement dans
  l'heure ». La pression est là pour vous empêcher de réfléchir.
- **Un expéditeur presque exact.** `payroll@acme-payments.co` au lieu de `payroll@acme.example`, ou un nom
  que vous connaissez associé à une adresse que vous ne connaissez pas.
- **Des liens qui mènent ailleurs.** Sur un ordinateur, survolez le lien et lisez la véritable adresse avant
  de cliquer. Sur un téléphone, appuyez longuement sur le lien pour en afficher l'aperçu.
- **Des pièces jointes inattendues** — surtout des factures, des avis d'expédition, des messages vocaux et
  tout ce qui vous demande d'« activer le contenu » ou d'« activer les macros ».
- **Des demandes qui modifient la circulation de l'argent** : nouvelles coordonnées bancaires d'un
  fournisseur, cartes cadeaux, ou virement qui doit rester confidentiel.

L'hameçonnage n'arrive pas seulement par e-mail. Les mêmes ruses passent par SMS (« smishing »), par
téléphone (« vishing »), par les outils de messagerie et de collaboration, et même par des codes QR sur des
affiches ou des colis.

Quand quelque chose vous semble louche, **vérifiez par un canal auquel vous faites déjà confiance** :
appelez la personne au numéro de l'annuaire interne, ou ouvrez le site web en tapant vous-même son adresse.
N'utilisez jamais le numéro de téléphone ou le lien du message suspect. Un vrai collègue ne vous en voudra
jamais de vérifier.

Et si vous avez déjà cliqué ? Pas de panique, et ne le cachez pas. Signalez-le immédiatement (voir la leçon
sur le signalement) : c'est dans les minutes qui suivent un clic que l'équipe de sécurité peut le plus vous
aider.
"""

PASSWORDS_FR = """\
Un mot de passe ne protège pas mieux que sa plus mauvaise habitude. Les attaquants « devinent » rarement \
les mots de passe un par un : ils essaient sur vos comptes des millions de mots de passe divulgués par \
d'autres sites, en commençant par les schémas les plus courants — prénoms, saisons, années et suites de \
touches comme `Summer2024!`.

La meilleure protection est une **phrase de passe** : plusieurs mots aléatoires et sans rapport entre eux,
comme `lantern cobalt pickle harbour`. Elle est longue, ce qui la rend solide, et c'est une image dont vous
pouvez vous souvenir. La longueur compte bien plus que le remplacement de lettres par des symboles : quatre
ou cinq mots aléatoires battent toujours huit caractères de « complexité ».

Trois règles protègent vos comptes :

1. **Un compte, un mot de passe.** Ne réutilisez jamais un mot de passe, surtout pas celui du travail sur un
   site personnel. Quand un site est piraté, les mots de passe réutilisés ouvrent toutes les autres portes.
2. **Utilisez un gestionnaire de mots de passe.** Laissez-le créer et retenir de longs mots de passe
   aléatoires pour tout le reste : la seule phrase de passe à mémoriser est celle qui déverrouille le
   gestionnaire.
3. **Activez l'authentification multifacteur (MFA)** partout où elle est proposée. Même si un mot de passe
   fuit, l'attaquant a encore besoin de votre téléphone ou de votre clé de sécurité.

Méfiez-vous des demandes de MFA que vous n'avez pas déclenchées. Si votre téléphone vous demande
d'approuver une connexion que vous n'êtes pas en train de faire, **refusez-la et signalez-la** — quelqu'un
possède votre mot de passe. Ne lisez jamais un code MFA à quelqu'un qui vous appelle, quoi qu'il prétende
être ; notre équipe informatique ne vous le demandera jamais.

Enfin, changez un mot de passe lorsque vous avez des raisons de penser qu'il a été exposé — pas selon un
calendrier fixe. Les changements imposés trop souvent poussent vers des schémas prévisibles, et c'est
exactement ce sur quoi comptent les attaquants.
"""

REPORTING_FR = """\
Les incidents de sécurité sont rarement repérés d'abord par la technologie. Ils le sont par des personnes \
qui remarquent que quelque chose ne va pas tout à fait — et qui le disent vite. Signaler n'est pas avouer \
un échec : c'est la chose la plus utile que vous puissiez faire.

Signalez, par exemple, si :

- vous avez cliqué sur un lien ou ouvert une pièce jointe dont vous doutez maintenant ;
- vous avez saisi votre mot de passe sur une page qui s'est révélée fausse ;
- votre appareil est perdu ou volé, ou se comporte bizarrement (fenêtres surgissantes, nouveaux programmes,
  machine très lente) ;
- vous avez reçu une demande de MFA ou un e-mail de réinitialisation de mot de passe que vous n'avez pas
  demandé ;
- des données personnelles ou des données clients ont été envoyées à la mauvaise personne, ou se trouvent là
  où elles ne devraient pas être.

**Signalez immédiatement, par le canal officiel** : le bouton « Signaler un hameçonnage » de votre
messagerie si vous en avez un, le support informatique, ou votre responsable si vous ne pouvez joindre ni
l'un ni l'autre. Donnez ce que vous savez : ce qui s'est passé, quand, sur quel appareil et ce que vous avez
déjà fait. Les captures d'écran aident ; transférer le message suspect en pièce jointe aide encore plus.

Ensuite, **n'essayez pas de réparer vous-même**. N'effacez pas les preuves, ne lancez pas d'outils de
nettoyage trouvés en ligne et ne prévenez pas toute l'entreprise en « répondre à tous » — l'équipe de
sécurité décidera de ce qu'il faut faire et de qui doit être informé. Si l'on vous demande de déconnecter
un appareil du réseau, faites-le et laissez-le allumé.

Personne n'est blâmé pour un signalement fait de bonne foi. Les incidents qui font de vrais dégâts sont ceux
qui restent tus pendant des jours. Parler dans les premières minutes transforme la plupart d'entre eux en
non-événements.
"""

TRANSCRIPT_FR = """\
[Narrateur] C'est lundi matin. Maria, qui travaille à la comptabilité, reçoit un e-mail d'un fournisseur \
qu'elle connaît bien. Il indique que ses coordonnées bancaires ont changé et lui demande de régler la \
facture de la semaine sur le nouveau compte.

[Narrateur] Le logo est le bon, le ton est aimable et le numéro de facture correspond à une facture qu'elle \
attend. Mais l'adresse de l'expéditeur se termine par « -billing.co » au lieu du domaine habituel du \
fournisseur, et le message lui demande de garder ce changement confidentiel « pour des raisons d'audit ».

[Maria] C'est bizarre. Ils ne nous ont jamais demandé ça.

[Narrateur] Au lieu de répondre, Maria cherche le numéro du fournisseur dans le système d'achats et appelle \
son interlocuteur habituel. Le fournisseur n'a pas changé de banque. L'e-mail était un faux.

[Narrateur] Maria utilise le bouton Signaler un hameçonnage, et l'équipe de sécurité bloque l'expéditeur \
pour tout le monde. Trois collègues avaient reçu le même message ce matin-là.

[Narrateur] Retenez : vérifiez l'expéditeur, méfiez-vous de l'urgence et du secret, vérifiez par un canal \
auquel vous faites déjà confiance, et signalez tout ce qui est suspect. Cinq secondes de doute peuvent \
éviter bien des ennuis.
"""

TRANSLATIONS: dict[str, Any] = {
    "es": {
        "course": {
            "title": "Fundamentos de concienciación en seguridad",
            "description": (
                "Veinte minutos que hacen a todos más difíciles de engañar: cómo reconocer el phishing, "
                "elegir frases de contraseña largas y únicas, e informar de cualquier cosa sospechosa sin "
                "demora ni vergüenza."
            ),
        },
        "lessons": [
            {"title": "Reconocer el phishing", "markdown": PHISHING_ES},
            {"title": "Un intento de phishing, paso a paso", "transcript": TRANSCRIPT_ES},
            {"title": "Contraseñas y frases de contraseña", "markdown": PASSWORDS_ES},
            {"title": "Cómo informar de un incidente de seguridad", "markdown": REPORTING_ES},
            {"title": "Comprobación de seguridad"},
        ],
    },
    "fr": {
        "course": {
            "title": "Les essentiels de la sensibilisation à la sécurité",
            "description": (
                "Vingt minutes pour que chacun se laisse moins facilement piéger : reconnaître "
                "l'hameçonnage, choisir des phrases de passe longues et uniques, et signaler tout ce qui est "
                "suspect sans tarder ni en avoir honte."
            ),
        },
        "lessons": [
            {"title": "Reconnaître l'hameçonnage", "markdown": PHISHING_FR},
            {"title": "Une tentative d'hameçonnage, étape par étape", "transcript": TRANSCRIPT_FR},
            {"title": "Mots de passe et phrases de passe", "markdown": PASSWORDS_FR},
            {"title": "Signaler un incident de sécurité", "markdown": REPORTING_FR},
            {"title": "Contrôle de sécurité"},
        ],
    },
}
