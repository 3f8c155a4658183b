"""The editable working-day calendar: official holidays and make-up days (调休), and later years."""
