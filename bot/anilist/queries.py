"""The GraphQL Airdate sends to AniList, written out by hand (reference §11).

Every query names `type: ANIME` (a MAL id or an AniList id of a manga must not match), and
every list query is one `Page` with an explicit `perPage` (AniList's default is unknown).
"""

from __future__ import annotations

#: Most entries AniList returns in one page.
PER_PAGE = 50
#: Most results a search shows: the top matches are all a moderator reads.
SEARCH_PER_PAGE = 10
#: AniList refuses a page whose page * perPage goes past 5000 entries.
MAX_PAGE_DEPTH = 5000
#: Most upcoming episodes asked for with one show (AniList's cap on a connection).
SHOW_AIRINGS_PER_PAGE = 25

#: The flat fields of a show, the same in every query so one parser reads them all.
MEDIA_FIELDS = """
      id
      idMal
      siteUrl
      type
      format
      status(version: 2)
      episodes
      duration
      season
      seasonYear
      isAdult
      title { romaji english native }
      synonyms
      description(asHtml: false)
      coverImage { extraLarge large }
      startDate { year month day }
      externalLinks { site url type isDisabled }
"""

SEARCH = (
    """query AirdateSearch($search: String) {
  Page(page: 1, perPage: 10) {
    pageInfo { hasNextPage }
    media(search: $search, type: ANIME, sort: SEARCH_MATCH, isAdult: false) {"""
    + MEDIA_FIELDS
    + """    }
  }
}"""
)

_SHOW_AIRINGS = """      airingSchedule(notYetAired: true, perPage: 25) {
        pageInfo { hasNextPage }
        nodes { id episode airingAt }
      }
"""

SHOW_BY_ID = (
    """query AirdateShow($id: Int) {
  Media(id: $id, type: ANIME) {"""
    + MEDIA_FIELDS
    + _SHOW_AIRINGS
    + """  }
}"""
)

SHOW_BY_MAL_ID = (
    """query AirdateShowByMal($idMal: Int) {
  Media(idMal: $idMal, type: ANIME) {"""
    + MEDIA_FIELDS
    + _SHOW_AIRINGS
    + """  }
}"""
)

MEDIA_BY_IDS = (
    """query AirdateMedia($ids: [Int]) {
  Page(page: 1, perPage: 50) {
    pageInfo { hasNextPage }
    media(id_in: $ids, type: ANIME) {"""
    + MEDIA_FIELDS
    + """    }
  }
}"""
)

MEDIA_BY_MAL_IDS = (
    """query AirdateMediaByMal($ids: [Int]) {
  Page(page: 1, perPage: 50) {
    pageInfo { hasNextPage }
    media(idMal_in: $ids, type: ANIME) {"""
    + MEDIA_FIELDS
    + """    }
  }
}"""
)

AIRINGS = """query AirdateAirings($page: Int, $ids: [Int], $after: Int, $before: Int) {
  Page(page: $page, perPage: 50) {
    pageInfo { hasNextPage }
    airingSchedules(
      mediaId_in: $ids, airingAt_greater: $after, airingAt_lesser: $before, sort: [TIME, ID]
    ) { id mediaId episode airingAt }
  }
}"""
