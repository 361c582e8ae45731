-- Hourly weather forecasts fetched for where the person is (Open-Meteo,
-- CC BY 4.0). A later fetch replaces the hours it covers; past hours stay,
-- so that the journal and the stats can set the weather beside cramps.
CREATE TABLE weather_hours (
    at         INTEGER PRIMARY KEY, -- start of the hour, unix milliseconds
    temp_c     REAL NOT NULL,       -- air temperature 2 m above ground
    humidity   REAL NOT NULL,       -- relative humidity 2 m above ground, percent
    latitude   REAL NOT NULL,       -- the place the forecast was asked for
    longitude  REAL NOT NULL,
    fetched_at INTEGER NOT NULL     -- unix milliseconds
) STRICT;

-- The weather of the hour a cramp was logged for, when a forecast for it
-- was stored: NULL otherwise (and for cramps logged before this version).
ALTER TABLE cramps ADD COLUMN weather_temp_c REAL;
ALTER TABLE cramps ADD COLUMN weather_humidity REAL;
ALTER TABLE cramps ADD COLUMN weather_heat_index_f REAL;
ALTER TABLE cramps ADD COLUMN weather_day_max_heat_index_f REAL;
