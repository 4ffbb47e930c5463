"""The lists' search boxes look for clients as `shared.clients.search_clients` does: without
accents ("bozic" finds "Božič") and phone numbers in any format."""

from __future__ import annotations

from typing import Any

from services.dashboard import context
from shared import clients, search_text


def _condition(search: str) -> Any:
    return clients.matching(search, calling_code=context.locale().calling_code)


class SearchesClients:
    """For the client list: Flask-Admin's word-by-word ILIKE replaced by the clients' search."""

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> Any:
        if not search_text.long_enough(search):
            return query, count_query, joins, count_joins
        condition = _condition(search)
        count_query = count_query.filter(condition) if count_query is not None else None
        return query.filter(condition), count_query, joins, count_joins


class SearchesBookingsByClient:
    """For lists of bookings: the search box finds the bookings of the clients it finds."""

    model: Any
    client_id_attribute = "client_id"

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> Any:
        if not search_text.long_enough(search):
            return query, count_query, joins, count_joins
        column = getattr(self.model, self.client_id_attribute)
        condition = column.in_(
            clients.ids_matching(search, calling_code=context.locale().calling_code)
        )
        count_query = count_query.filter(condition) if count_query is not None else None
        return query.filter(condition), count_query, joins, count_joins
