import './base.css';
import './data.css';
import './bulk.css';
