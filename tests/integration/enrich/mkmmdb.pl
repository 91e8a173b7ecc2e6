#!/usr/bin/perl
# mkmmdb.pl OUTDIR: write the MaxMind DB files the enrichment tests read, with
# MaxMind::DB::Writer::Tree (Debian: libmaxmind-db-writer-perl). Nothing is downloaded: every
# record is made up here, for test-only address space (198.18.0.0/15 benchmarking, RFC 2544;
# 2001:db8::/32 documentation, RFC 3849; 192.0.2.0/24 TEST-NET-1).
#
#   asn.mmdb          GeoLite2-ASN layout   autonomous_system_number, _organization
#   city.mmdb         GeoLite2-City layout  country, registered_country, subdivisions, city
#   country.mmdb      GeoLite2-Country      country only
#   dbip-asn.mmdb     DB-IP ASN Lite layout (the GeoLite2-ASN keys, DB-IP's type name)
#   dbip-city.mmdb    DB-IP City Lite layout (city, continent, country, location, subdivisions)
#   ipv4-asn.mmdb     an IPv4-only tree (ip_version 4)
#
# The expected lookups are listed in tests/unit/test_geoip.c and tests/integration/enrich.sh;
# keep the three in step.
use strict;
use warnings;
use utf8;

use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUTDIR\n";
-d $out or die "$0: $out is not a directory\n";

my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
	city                           => 'map',
	continent                      => 'map',
	code                           => 'utf8_string',
	country                        => 'map',
	registered_country             => 'map',
	is_in_european_union           => 'boolean',
	iso_code                       => 'utf8_string',
	geoname_id                     => 'uint32',
	names                          => 'map',
	en                             => 'utf8_string',
	de                             => 'utf8_string',
	fr                             => 'utf8_string',
	subdivisions                   => [ 'array', 'map' ],
	location                       => 'map',
	latitude                       => 'double',
	longitude                      => 'double',
);

sub tree {
	my ($type, $ipv) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version            => $ipv // 6,
		record_size           => 28,
		database_type         => $type,
		languages             => ['en'],
		description           => { en => "sipwarden test database ($type)" },
		map_key_type_callback => sub { $types{ $_[0] } },
		# The test ranges are reserved; the writer drops reserved networks by default.
		remove_reserved_networks => 0,
	);
}

sub write_db {
	my ($tree, $name) = @_;
	open my $fh, '>:raw', "$out/$name" or die "$0: $out/$name: $!\n";
	$tree->write_tree($fh);
	close $fh or die "$0: $out/$name: $!\n";
}

sub place {
	my ($cc, $country, $region, $city) = @_;
	my %r = (
		country => { iso_code => $cc, geoname_id => 1, names => { en => $country } },
		registered_country => { iso_code => $cc, geoname_id => 1, names => { en => $country } },
	);
	$r{subdivisions} = [ { iso_code => 'X', names => { en => $region, de => "$region (de)" } } ]
	  if defined $region;
	$r{city} = { geoname_id => 2, names => { en => $city, fr => "$city (fr)" } } if defined $city;
	return \%r;
}

# ASN -----------------------------------------------------------------------------------------
my @asn = (
	[ '198.18.0.0/22',    64500, 'Example Telecom' ],
	[ '198.18.4.0/22',    64501, 'Example University' ],
	[ '198.18.8.0/21',    64502, 'Example Hosting' ],
	[ '192.0.2.0/24',     4200000001, 'Example 32-bit AS' ],
	[ '2001:db8:5c::/48', 64510, 'Example IPv6 Carrier' ],
);
for my $t ([ 'GeoLite2-ASN', 'asn.mmdb' ], [ 'DBIP-ASN-Lite (compat=GeoLite2-ASN)', 'dbip-asn.mmdb' ]) {
	my $tree = tree($t->[0]);
	$tree->insert_network($_->[0],
		{ autonomous_system_number => $_->[1], autonomous_system_organization => $_->[2] })
	  for @asn;
	write_db($tree, $t->[1]);
}
{
	my $tree = tree('GeoLite2-ASN', 4);
	$tree->insert_network('198.18.0.0/22', { autonomous_system_number => 64500 });
	write_db($tree, 'ipv4-asn.mmdb');
}

# City (GeoLite2) ------------------------------------------------------------------------------
{
	my $tree = tree('GeoLite2-City');
	$tree->insert_network('198.18.0.0/22',    place('DE', 'Germany', 'Bavaria', 'Munich'));
	$tree->insert_network('198.18.4.0/22',    place('US', 'United States', 'New York', 'New York'));
	# Only registered, no country of its own (e.g. anycast): geo falls back to it.
	$tree->insert_network('198.18.8.0/21',
		{ registered_country => { iso_code => 'NL', geoname_id => 3, names => { en => 'Netherlands' } } });
	$tree->insert_network('192.0.2.0/24',     place('FR', 'France', 'Île-de-France', 'Paris'));
	$tree->insert_network('2001:db8:5c::/48', place('JP', 'Japan', 'Tokyo', 'Tokyo'));
	write_db($tree, 'city.mmdb');
}

# Country (GeoLite2) ---------------------------------------------------------------------------
{
	my $tree = tree('GeoLite2-Country');
	$tree->insert_network('198.18.0.0/16', place('DE', 'Germany'));
	write_db($tree, 'country.mmdb');
}

# City (DB-IP) ---------------------------------------------------------------------------------
{
	my $tree = tree('DBIP-City-Lite');
	my $dbip = sub {
		my ($cc, $region, $city) = @_;
		return {
			city         => { names => { en => $city } },
			continent    => { code  => 'EU', geoname_id => 6255148, names => { en => 'Europe' } },
			country      => { iso_code => $cc, is_in_european_union => 1, names => { en => $cc } },
			location     => { latitude => 48.1, longitude => 11.6 },
			subdivisions => [ { names => { en => $region } } ],
		};
	};
	$tree->insert_network('198.18.0.0/22', $dbip->('AT', 'Vienna', 'Vienna'));
	$tree->insert_network('2001:db8:5c::/48', $dbip->('CH', 'Zurich', 'Zürich'));
	write_db($tree, 'dbip-city.mmdb');
}
