"""User guide: what each page is for and how to read it."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data
from metrics.core.limits import ReadLimits
from metrics.returns.validation.rules import load_rules

catalogue = data.catalogue()

st.title("User guide")
st.markdown(f"""
This dashboard shows how the **{catalogue.settings.partnership}** is doing against its
Children and Young People's Plan, under the five Every Child Matters outcomes. Delivery
groups send a return each quarter; once it passes its checks, its figures appear here at once.

## The pages

**Board overview** (partnership board). Choose a quarter; it defaults to the latest
complete one. The summary counts indicators by RAG rating, and improving or worsening,
for each outcome and each plan priority. The indicator table gives each indicator's latest
figure, target, RAG, direction and comparison with England; choose "Every column" for its
interval, changes, a small trend line, region, neighbours, owner and date of the last
return; select an indicator's code to open its page. **Exceptions** lists the indicators
on the board's exception list in one table (each code jumps to its card), then a card each
with the owning group's commentary, for the board to challenge. When a meeting is planned,
the page opens with what the board will decide at it. **Returns for the quarter** shows
who has submitted, who is late and which version is current.

**Indicator** (anyone). It opens with the headline, as the overview shows it: the latest
figure, its target and RAG, the change since the period before and England's figure, and
(for the board) the link to challenge the group. Then definition, source, polarity and
owner; the trend with its
confidence interval and target; localities side by side; breakdowns by group of children
with the gap between them; the commentary history. The address in the browser holds the
indicator and period, so it can be pasted into board papers.

**Your group's work** (delivery groups; where a group's lead starts). What your group has
to do: a return late or coming due, with its date and a link to submit it; the board's
challenges waiting for your answer, each with its due date (or how long it is overdue);
your group's unfinished actions; the indicators on the board's exception list that need
your commentary; and the next board meeting with its data cut-off.

**Reminders by email.** Where the partnership has set up its mail server, each group's
lead is emailed a week before a return, an answer to a challenge or an action is due, and
again when it is late or overdue; the board's secretary is told when a meeting's data
cut-off passes, so its pack can be made. Each reminder comes once. To be reminded, ask an
admin to add your email address.

**Challenges and actions** (the board and the groups' leads; scrutiny reads). The board
meets several times a year: a plan agreement, a mid-year review, a year-end sign-off and
ordinary meetings, each with a **data cut-off** (by default the end of the day a week
before) that fixes the figures its pages and pack show. At a meeting the board raises
**challenges** on indicators or plan priorities, due at the next meeting; the group's lead
answers on this page, or with the next return (its commentary on the challenged indicator
answers the challenge); the board resolves it or carries it forward to the next meeting.
The board also agrees **actions**, each with an owner, dates and a status (on track, at
risk, off track, done) that the group's lead keeps up to date. Every challenge and action
keeps its reference (C-0001, A-0001) for good, with a log of who changed what and when;
the board may show one in the public view. Each group's record (returns on time, answers
in time, actions on track) sits at the top. The **board pack** for a meeting is made here
as a PDF: the summary, the exception list with the groups' commentary, a section per
exception indicator, the challenges and actions, and the returns, all as the figures stood
at the cut-off. A **deep dive** looks at a topic (some indicators, or a plan priority) by
locality and group of children, with a narrative, for the Health and Wellbeing Board, the
safeguarding partnership or scrutiny, also as a PDF.

**Submit a return** (delivery groups). Choose your group and quarter, download the
template, upload it, fix any errors, explain any warnings, then submit. Your group's
earlier returns and their findings are listed at the bottom.

**Data quality** (delivery groups and performance officers). Returns by quarter and
status; the checks failed most often, by rule and by group.

**Trends** (scrutiny; where a scrutiny member starts). Browse by outcome, indicator and
area; compare localities on one chart; compare with similar authorities: our own figures
(blue) beside England, the statistical neighbours and their average, with any neighbour
you pick highlighted. Nothing on this page can change data.

**Outcomes and indicators**. Every indicator under each outcome, with its owner, kind
and polarity.

**People and roles** (admins). Who may sign in and what each may do: board members see
every figure and hold the groups to account; a delivery group's lead submits and answers
for their own group; scrutiny members read, with small numbers withheld; admins add people
and give or take away roles; the easiest way in is an invitation by email, taken up when
the person first signs in. Someone who signs in without a role can copy their id and ask
for access; admins see who has asked at the top of this page. Everything anyone changes is
in the audit log.

**Printing.** Any page prints from the browser (Ctrl+P) as the page alone, on A4
landscape, without the menu or buttons. For meetings, the board pack is the better paper.

## Reading the figures

**RAG** compares a figure, rounded as shown, with its target for the year, taking
account of whether higher or lower is better: ✔ **Green** on or better than target;
▲ **Amber** short of it by no more than the indicator's tolerance; ✖ **Red** further
away. **Not rated**, with the reason: ○ *no target* set for the year; – *context*, an
indicator such as the number of children in care, where neither higher nor lower is simply
better; … *no figures* for the period.

**Direction**: ↗ improving or ↘ worsening since the period before, by the indicator's
polarity; ↑ increased or ↓ decreased where there is no judgement.

**Confidence intervals** (the shaded bands and error bars) show the range the underlying
figure is likely to lie in, given the numbers involved: 95% intervals, computed as OHID's
Fingertips does (Wilson score for percentages, Byar's method or the exact Poisson method
for rates and counts, Student's t for averages). Where two intervals do not overlap, the
difference is unlikely to be chance. Small localities have wide intervals.

**Small numbers**: a count below an indicator's suppression threshold could identify
children. Board members, leads and admins see it, with a note that it is not for
publication. Scrutiny members and the public view see `c` instead, for the count and
everything worked out from it (its rate, interval, RAG and changes); an average over that
few children is `c` too. Other figures are shown as `c` as well wherever adding and
subtracting what is shown (totals, localities, breakdowns) could give a small count back or
show it to be small: the product checks every `c` this way before showing a page. Every `c`
has the same note, so no one can tell a small count from a figure withheld to protect it.
Downloads follow the same rule (a withheld figure is left empty, with `c` in the
`suppressed` column and the note beside it), and so do the figures of a past meeting beside
the latest:
a correction made after a meeting cannot be worked out by comparing the two. Commentary on
a quarter with a `c` is replaced by a note for these readers, and a return whose commentary
or explanations quote such a figure (the count, or a rate that gives it back) is sent back
when it is checked: write "fewer than 5" instead.

**Downloads** (the button under each chart) are for spreadsheets and other programs:
numbers as numbers, rounded as the page shows them, with the indicator and its unit on every
row. The file name says what it holds and for whom, e.g.
`BH01_localities_2025-26-Q2_suppressed.csv`: `suppressed` (small numbers withheld),
`public` (withheld, the authority as a whole) or `unsuppressed` (every figure: not for
publication). Where the partnership has switched it on, the same figures the public view
shows can be read by programs from the open data API at `/api/v1` (its description is at
`/api/v1/openapi.json`).

**Benchmarks**: where DfE publishes the indicator, the overview shows England's, the
region's and the statistical neighbours' figures for the published year our figure's
period falls in, or the latest published year where that year is not out yet (marked
"(latest)"). The neighbour average is the median of the authority's 10 neighbours in
DfE's model, unless the settings say mean. The overview compares our figure with
England's (with the 95% and the 99.8% interval) and with the neighbours' average: ●
better or ● worse where the 95% interval excludes England's value, ○ similar where it
includes it (▲ higher / ▼ lower for context indicators). **Recent trend** uses the five
most recent points and reports a trend only where it is significant at 99.8% and
survives leaving out any one point. The indicator page adds a spine chart (every
authority from worst to best, with England and our figure; our rank and quartile band, A
the best quarter; indicators with no better direction are neither ranked nor banded) and
a funnel plot of the localities (outside the dotted line: more than chance; each
locality is labelled in the table).

## The return

A return is one file (CSV or Excel) per group per quarter, one row per indicator, area and
breakdown, with numerator and denominator (or the value, for averages) and commentary:
what the figures show, and, if you wish, the story behind the curve, partners with a role,
what works and actions planned (one column each). Commentary on an indicator the board has
challenged answers the challenge. The template lists exactly the rows due. Annual
indicators travel in the return of one quarter each year. Errors must be fixed; warnings
need an explanation, kept with the data and offered again if the same warning comes up
when you resubmit. A resubmission replaces the earlier version, which stays in the
history. If someone else's version of the same return is accepted while you are checking
yours, you are told and asked to check again, so neither of you replaces the other without
knowing.
""")
limits = ReadLimits.from_settings()
st.markdown(f"""
Limits: a return file may be at most {limits.max_bytes / 2**20:.0f} MB,
{limits.max_rows:,} rows and {limits.max_columns} columns, with at most
{limits.max_cell_chars:,} characters in a cell; a workbook may unpack to at most
{limits.max_unpacked_bytes / 2**20:.0f} MB, and its sheet may not reach beyond those rows
and columns (delete stray cells far below or to the right of your figures). Figures must be
whole numbers of children or events (averages aside) and no larger than any area's count
could be. Commentary and explanations are shown exactly as typed: formatting such as bold
text or links is not applied.
""")

st.subheader("The checks", anchor=False)
ui.table(
    pl.DataFrame(
        [
            {"Rule": r.code, "Severity": r.severity.value, "Checks": r.title}
            for r in load_rules().values()
        ]
    ),
    "The checks every return goes through",
)

st.markdown("""
## Known limitations

- People sign in with the council's account; what they may do depends on the role an
  admin gave them (or their account's groups, where configured).
- The check for quoted small figures reads numbers in digits and in words up to
  ninety-nine; a figure spelled out some other way ("a handful") is not caught, so for
  readers without small numbers, commentary on a quarter with a `c` is withheld anyway.
- DfE publishes most figures once a year, months after the year ends: for recent
  quarters the comparison is with the latest published year, marked "(latest)".
- The check for children's details looks for UPNs, NHS numbers (those that pass the NHS
  check digit), UK postcodes, dates of birth (after "DOB", "born", "date of birth" and the
  like) and column headings such as "Child name", however they are spaced, punctuated or
  disguised with invisible or full-width characters. **It cannot recognise a name**: no
  pattern tells a child's name from a worker's or a service's, so never write names in
  commentary or explanations.
- One app process uses the database file; stop it before loading returns from the
  command line (the command says so if the app holds the file).
""")
